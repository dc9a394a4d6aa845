"""Binomial's draws (and ``torch.binomial``'s), LKJCholesky and Wishart against PyTorch.

Each row is a snippet run on both libraries (``t`` is ``torch`` or ``chainrule``, ``D`` its
``distributions``) from the same seed; it leaves its results in ``out``. The results must
agree: tensors in value, dtype and shape (draws too: the samplers replay PyTorch's), numbers
and shapes exactly, the UserWarnings raised in order, and an error in type and first line.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

BINOMIAL = {
    # ---- torch.binomial: each branch of ATen's sampler, both dtypes, then the stream after
    "inversion_f32": "out = [t.binomial(t.full((40,), 7.0), t.full((40,), 0.3)), t.rand(3)]",
    "inversion_f64": """
c = t.tensor([1.0, 3.0, 9.0, 19.0, 99.0], dtype=t.float64)
out = [t.binomial(c, t.full((5,), 0.05, dtype=t.float64)), t.rand(2, dtype=t.float64)]""",
    "btrs_f32": "out = [t.binomial(t.full((30,), 100.0), t.full((30,), 0.4)), t.randn(3)]",
    "btrs_f64": """
c = t.tensor([25.0, 1e3, 12345.0, 1e6], dtype=t.float64)
out = [t.binomial(c, t.tensor([0.5, 0.2, 0.01, 0.3], dtype=t.float64)), t.rand(2)]""",
    "large_counts_f32": "out = [t.binomial(t.full((6,), 1e6), t.full((6,), 0.25)), t.rand(2)]",
    "mirrored_inversion": """
out = [t.binomial(t.full((8,), 50.0), t.full((8,), 0.95)),
       t.binomial(t.full((8,), 20.0, dtype=t.float64), t.full((8,), 0.7, dtype=t.float64))]""",
    "mirrored_btrs": """
out = [t.binomial(t.full((4,), 1e6), t.full((4,), 0.6)),
       t.binomial(t.full((4,), 1e6, dtype=t.float64), t.full((4,), 0.999, dtype=t.float64)),
       t.rand(2)]""",
    "edges": """
c = t.tensor([0.0, 5.0, 5.0, -3.0, 2.5, 3.7, 0.5, 4.0, 1e6 + 0.5])
p = t.tensor([0.5, 0.0, 1.0, 0.5, 0.5, 0.7, 0.9, -0.5, 0.4])
out = [t.binomial(c, p), t.rand(2)]""",
    "nan_and_infinite": """
inf, nan = float("inf"), float("nan")
c = t.tensor([inf, inf, inf, inf, inf, inf, 3.0, nan])
p = t.tensor([0.3, 0.5, 0.7, 1e-30, 1.0, 0.0, nan, 1.0])
out = [t.binomial(c, p), t.binomial(c.double(), p.double()), t.rand(2)]""",
    "tiny_probs": """
c = t.tensor([1e6, 1e6, 50.0], dtype=t.float64)
out = [t.binomial(c, t.tensor([1e-9, 1e-300, 1e-3], dtype=t.float64)), t.rand(1)]""",
    "broadcast_warns": """
out = [t.binomial(t.tensor([[10.0], [300.0]]), t.tensor([0.3, 0.2, 0.9])), t.rand(3)]""",
    "scalar_and_empty": """
out = [t.binomial(t.tensor(40.0), t.tensor(0.5)), t.binomial(t.zeros(0), t.zeros(0)),
       t.binomial(t.zeros(2, 0), t.zeros(2, 0)).shape]""",
    "generator": """
g = t.Generator().manual_seed(7)
out = [t.binomial(t.full((5,), 30.0), t.full((5,), 0.5), generator=g),
       t.rand(2, generator=g), t.rand(2)]""",
    "noncontiguous": """
c = t.arange(1.0, 13.0).reshape(3, 4).mT * 5
out = [t.binomial(c, t.full((4, 3), 0.45)), t.rand(1)]""",
    "error_dtype_mismatch": "t.binomial(t.ones(2), t.ones(2, dtype=t.float64))",
    "error_dtype_mismatch_f64": "t.binomial(t.ones(2, dtype=t.float64), t.ones(2))",
    "error_integer_count": "t.binomial(t.tensor([10, 5]), t.tensor([0.5, 0.2]))",
    "error_integer_prob": "t.binomial(t.ones(2), t.tensor([1, 0]))",
    "error_number_prob": "t.binomial(t.ones(2), 0.5)",
    "error_half": "t.binomial(t.ones(2, dtype=t.float16), t.ones(2, dtype=t.float16))",
    # ---- the Binomial distribution's sample (torch.binomial on the expanded parameters)
    "Binomial_probs": """
d = D.Binomial(t.tensor([10.0, 1e6, 0.0]), probs=t.tensor([0.2, 0.7, 0.5]))
out = [d.sample(), d.sample((3,)), t.rand(2)]""",
    "Binomial_logits_f64": """
d = D.Binomial(t.tensor(25.0, dtype=t.float64), logits=t.tensor([-2.0, 0.0, 3.0],
               dtype=t.float64))
out = [d.sample((2, 2)), t.rand(1, dtype=t.float64)]""",
    "Binomial_batch_broadcast": """
d = D.Binomial(t.tensor([[5.0], [400.0]]), probs=t.tensor([0.0, 0.4, 0.99, 1.0]))
out = [d.sample((2,)), d.sample().shape, t.randn(2)]""",
    "Binomial_counts_f64": """
n = t.tensor([1.0, 15.0, 80.0, 3000.0, 1e6], dtype=t.float64)
d = D.Binomial(n, probs=t.tensor([0.5, 0.5, 0.1, 0.55, 0.05], dtype=t.float64))
out = [d.sample((4,)), t.rand(2)]""",
    "Binomial_expand": """
d = D.Binomial(t.tensor(60.0), probs=t.tensor(0.35)).expand((5,))
out = [d.sample((2,)), t.rand(1)]""",
    "Binomial_requires_grad_probs": """
p = t.tensor([0.2, 0.8], requires_grad=True)
s = D.Binomial(t.tensor([30.0, 30.0]), probs=p).sample((2,))
out = [s, s.requires_grad]""",
}

LKJ = {
    **{
        f"LKJ_sample_dim{dim}_c{c}": f"""
d = D.LKJCholesky({dim}, {c})
out = [d.sample(), d.sample((3,)), d.batch_shape, d.event_shape, t.rand(1)]"""
        for dim in (2, 3, 4, 5)
        for c in (0.3, 1.0, 4.0)
    },
    "LKJ_sample_f64_batch": """
d = D.LKJCholesky(3, t.tensor([0.5, 1.0, 3.0], dtype=t.float64))
out = [d.sample(), d.sample((2,)), t.rand(1)]""",
    "LKJ_sample_tensor_concentration_2d": """
d = D.LKJCholesky(4, t.tensor([[0.8], [2.0]]))
s = d.sample((2,))
out = [s, d.support.check(s), (s @ s.mT).diagonal(dim1=-2, dim2=-1)]""",
    "LKJ_expand": """
d = D.LKJCholesky(5, 2.0).expand((2,))
out = [d.sample(), d.batch_shape, d.concentration, d.sample((2,)).shape]""",
    # float64: a float32 log-density of a draw near the boundary rounds differently by CPU
    # (PyTorch's 2.40828 and chainrule's 2.40711 on an AMD EPYC)
    "LKJ_expand_batch": """
d = D.LKJCholesky(3, t.tensor([0.5, 1.5], dtype=t.float64)).expand((4, 2))
out = [d.sample(), d.log_prob(d.sample())]""",
    **{
        f"LKJ_log_prob_grad_dim{dim}": f"""
c = t.tensor([0.4, 1.0, 2.5], dtype=t.float64, requires_grad=True)
x = D.LKJCholesky({dim}, t.tensor(1.0, dtype=t.float64)).sample((2, 1))
x.requires_grad_(True)
lp = D.LKJCholesky({dim}, c).log_prob(x)
lp.sum().backward()
out = [lp, c.grad, x.grad]"""
        for dim in (2, 3, 4, 5)
    },
    "LKJ_log_prob_f32_identity": """
out = [D.LKJCholesky(3, t.tensor([0.5, 1.0, 2.0])).log_prob(t.eye(3))]""",
    "LKJ_error_dim": "D.LKJCholesky(1)",
    "LKJ_error_concentration": "D.LKJCholesky(3, -1.0, validate_args=True)",
    "LKJ_error_zero_concentration": "D.LKJCholesky(2, t.tensor([1.0, 0.0]), validate_args=True)",
    "LKJ_error_value": "D.LKJCholesky(3, 1.0, validate_args=True).log_prob(t.eye(3) * 2)",
    "LKJ_error_mean": "D.LKJCholesky(3, 1.0).mean",
    "LKJ_support_check": """
d = D.LKJCholesky(3)
out = [d.support.check(d.sample((2,))), d.support.check(t.eye(3) * 2), d.support.event_dim]""",
}

_S = "t.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=t.float64"
_L3 = "t.tensor([[1.0, 0, 0], [0.5, 2, 0], [0.1, 0.2, 0.7]], dtype=t.float64"
_V3 = "t.tensor([[3.0, 1, 0], [1, 4, 1], [0, 1, 2]], dtype=t.float64)"

WISHART = {
    **{
        f"Wishart_{name}_sample": f"""
d = D.Wishart(t.tensor(3.0), {name}=t.tensor([[2.0, 0.3], [0.3, 1.0]]))
out = [d.sample(), d.sample((2,)), d.mean, d.variance, d.mode, d.entropy(),
       d.covariance_matrix, d.precision_matrix, d.scale_tril, t.rand(1)]"""
        for name in ("covariance_matrix", "precision_matrix")
    },
    "Wishart_scale_tril_sample": """
d = D.Wishart(4.0, scale_tril=t.tensor([[1.5, 0.0], [0.3, 0.8]]))
out = [d.sample((3,)), d.mean, d.covariance_matrix, d.precision_matrix, t.rand(1)]""",
    **{
        f"Wishart_{name}_log_prob_grad": f"""
m = {_S}, requires_grad=True)
df = t.tensor([2.5, 4.0, 7.0], dtype=t.float64, requires_grad=True)
d = D.Wishart(df, {name}=m)
v = {_S}) * 1.5
r = d.log_prob(v) + d.entropy() + d.mean.sum() + d.variance.sum()
r.sum().backward()
out = [r, m.grad, df.grad]"""
        for name in ("covariance_matrix", "precision_matrix")
    },
    "Wishart_scale_tril_log_prob_grad": f"""
L = {_L3}, requires_grad=True)
df = t.tensor(5.0, dtype=t.float64, requires_grad=True)
d = D.Wishart(df, scale_tril=L)
r = d.log_prob({_V3}) + d.entropy() + d.variance.sum()
r.backward()
# PyTorch's cholesky_solve gives the upper triangle of L a gradient too, chainrule's does not
# (see the report): compared on the lower triangle, where it is defined
out = [r, L.grad.tril(), df.grad]""",
    "Wishart_log_prob_value_grad": f"""
v = {_V3}.requires_grad_(True)
lp = D.Wishart(t.tensor(4.5, dtype=t.float64), scale_tril={_L3})).log_prob(v)
lp.backward()
out = [lp, v.grad]""",
    **{
        f"Wishart_{name}_rsample_grad": f"""
m = {_S}, requires_grad=True)
df = t.tensor([2.5, 4.0], dtype=t.float64, requires_grad=True)
x = D.Wishart(df, {name}=m).rsample((3,), max_try_correction=0)
(x * x).sum().backward()
out = [x, m.grad, df.grad, t.rand(1)]"""
        for name in ("covariance_matrix", "precision_matrix", "scale_tril")
    },
    "Wishart_default_rsample_grad": f"""
L = {_L3}, requires_grad=True)
df = t.tensor(3.5, dtype=t.float64, requires_grad=True)
x = D.Wishart(df, scale_tril=L).rsample()
x.sum().backward()
out = [x, L.grad, df.grad, t.rand(1)]""",
    "Wishart_rsample_corrections_warn": """
d = D.Wishart(t.tensor([3.0, 5.0]), covariance_matrix=t.eye(3))
out = [d.rsample(), d.rsample((2,)), d.rsample((2,), max_try_correction=3), t.rand(1)]""",
    "Wishart_expand": """
d = D.Wishart(t.tensor([3.0, 4.0]), covariance_matrix=t.eye(2)).expand((3, 2))
out = [d.sample(), d.mean, d.mode, d.batch_shape, d.df, d.covariance_matrix.shape]""",
    "Wishart_expand_scale_tril": """
d = D.Wishart(5.0, scale_tril=t.tensor([[1.0, 0.0], [0.4, 0.5]])).expand((2,))
out = [d.sample(), d.scale_tril, d.entropy()]""",
    "Wishart_batched_matrices": """
m = t.eye(2) * t.tensor([1.0, 2.0, 3.0]).view(3, 1, 1)
d = D.Wishart(t.tensor([2.0, 6.0, 9.0]), covariance_matrix=m)
out = [d.sample(), d.log_prob(m * 2), d.entropy(), d.mode, d.variance]""",
    "Wishart_df_boundary_warns": """
d = D.Wishart(t.tensor(1.0 + 1e-4, dtype=t.float64), covariance_matrix=t.eye(2).double())
out = [d.sample(), d.entropy(), d.mode, d.log_prob(t.eye(2).double())]""",
    "Wishart_df_at_dim_no_warning": """
d = D.Wishart(2.0, covariance_matrix=t.eye(2))
out = [d.mode, d.entropy(), d.sample()]""",
    "Wishart_error_df_at_boundary": "D.Wishart(1.0, covariance_matrix=t.eye(2))",
    "Wishart_error_df_tensor": "D.Wishart(t.tensor([3.0, 0.5]), covariance_matrix=t.eye(2))",
    "Wishart_error_two_parameters": """
D.Wishart(3.0, covariance_matrix=t.eye(2), scale_tril=t.eye(2))""",
    "Wishart_error_no_parameter": "D.Wishart(3.0)",
    "Wishart_error_one_dimensional": "D.Wishart(3.0, covariance_matrix=t.ones(2))",
    "Wishart_error_not_positive_definite": """
D.Wishart(3.0, covariance_matrix=-t.eye(2), validate_args=True)""",
    "Wishart_error_scale_tril": """
D.Wishart(3.0, scale_tril=t.tensor([[1.0, 0.5], [0.0, 1.0]]), validate_args=True)""",
    "Wishart_error_value": """
D.Wishart(3.0, covariance_matrix=t.eye(2), validate_args=True).log_prob(-t.eye(2))""",
    "Wishart_error_batch_shapes": """
D.Wishart(t.tensor([3.0, 4.0, 5.0]), covariance_matrix=t.eye(2).expand(2, 2, 2))""",
}

ROWS = {**BINOMIAL, **LKJ, **WISHART}

# A draw's gradient to df goes through the gamma draws' reparameterization gradient, exact in
# chainrule and approximated in PyTorch (to about 1e-4 relative; see _gamma_sampler)
GAMMA_GRADIENT = {name for name in WISHART if name.endswith("rsample_grad")}


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor | cr.Tensor):
        return value.detach().numpy()
    if isinstance(value, torch.Size | cr.Size):
        return tuple(value)
    return value


def run(lib: Any, source: str) -> tuple[Any, ...]:
    """The row's results (or its error's type and first line) and its UserWarnings."""
    lib.manual_seed(0)
    scope = {"t": lib, "D": lib.distributions}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(source, scope)
            result: Any = [_plain(v) for v in scope["out"]]
        except Exception as error:  # noqa: BLE001 - the error is what is compared
            first = str(error).splitlines()[0] if str(error) else ""
            result = (type(error).__name__, first.replace("torch", "chainrule"))
    # (PyTorch's C++ warnings end in the source line they come from)
    said = [
        str(w.message).split(" (Triggered internally at")[0]
        for w in caught
        if issubclass(w.category, UserWarning)
    ]
    return result, said


@pytest.mark.parametrize("name", ROWS)
def test_row_matches_pytorch(name: str) -> None:
    (theirs, their_warnings), (ours, our_warnings) = (run(lib, ROWS[name]) for lib in (torch, cr))
    assert our_warnings == their_warnings
    if isinstance(theirs, tuple):
        assert ours == theirs
        return
    assert isinstance(ours, list) and len(ours) == len(theirs)
    for mine, want in zip(ours, theirs, strict=True):
        if not isinstance(want, np.ndarray):
            assert mine == want
            continue
        assert isinstance(mine, np.ndarray) and mine.shape == want.shape
        assert mine.dtype == want.dtype
        # Binomial draws are equal; the rest to rounding (float32: its epsilon, scaled)
        rtol = 0 if name in BINOMIAL else 1e-10 if want.dtype == np.float64 else 2e-5
        rtol = 1e-3 if name in GAMMA_GRADIENT else rtol
        np.testing.assert_allclose(mine, want, rtol=rtol, atol=rtol, equal_nan=True)
