"""``chainrule.distributions`` against ``torch.distributions``: small snippets of everyday use
(numbers as parameters, default dtypes, lazy probs/logits, expand, supports of transformed
distributions, derived matrices of the multivariate normal, constraint checks), each run under
both libraries and compared by repr (or by exception type and message), ``torch`` read as
``chainrule``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

SNIPPETS: dict[str, Callable[[Any], Any]] = {
    "gamma_log_prob_of_a_number": lambda lib: lib.distributions.Gamma(2.0, 1.0).log_prob(0.5),
    "normal_of_ints_samples_float32": lambda lib: lib.distributions.Normal(0, 1).sample().dtype,
    "bernoulli_of_a_number_samples": lambda lib: lib.distributions.Bernoulli(0.3).sample((2,)),
    "categorical_samples_an_index": lambda lib: lib.distributions.Categorical(
        logits=lib.zeros(3)
    ).sample(),
    "kl_of_independent_normals": lambda lib: lib.distributions.kl_divergence(
        lib.distributions.Independent(lib.distributions.Normal(lib.zeros(2, 3), 1.0), 1),
        lib.distributions.Independent(lib.distributions.Normal(lib.ones(2, 3), 2.0), 1),
    ),
    "beta_of_numbers": lambda lib: lib.distributions.Beta(2.0, 3.0).log_prob(lib.tensor(0.3)),
    "beta_concentration1": lambda lib: lib.distributions.Beta(2.0, 3.0).concentration1,
    "dirichlet_expand": lambda lib: lib.distributions.Dirichlet(lib.ones(3)).expand((2,)),
    "uniform_expanded_support": lambda lib: (
        lib.distributions.Uniform(0.0, 1.0).expand((2,)).support
    ),
    "sigmoid_transformed_support": lambda lib: (
        lib.distributions.TransformedDistribution(
            lib.distributions.Normal(0.0, 1.0), [lib.distributions.transforms.SigmoidTransform()]
        ).support
    ),
    "lognormal_support": lambda lib: lib.distributions.LogNormal(0.0, 1.0).support,
    "poisson_log_prob": lambda lib: lib.distributions.Poisson(2.0).log_prob(lib.tensor([0.0, 3.0])),
    "chi2_df": lambda lib: lib.distributions.Chi2(3.0).df,
    "student_t_log_prob": lambda lib: lib.distributions.StudentT(3.0).log_prob(lib.tensor(0.5)),
    "binomial_entropy": lambda lib: lib.distributions.Binomial(5, lib.tensor(0.3)).entropy(),
    "geometric_logits_entropy": lambda lib: lib.distributions.Geometric(
        logits=lib.tensor(0.3)
    ).entropy(),
    "half_normal_negative_value": lambda lib: lib.distributions.HalfNormal(1.0).log_prob(
        lib.tensor(-1.0)
    ),
    "mvn_covariance_from_covariance": lambda lib: (
        lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2)).covariance_matrix
    ),
    "mvn_scale_tril_from_precision": lambda lib: (
        lib.distributions.MultivariateNormal(
            lib.zeros(2), precision_matrix=lib.eye(2) * 2
        ).scale_tril
    ),
    "categorical_enumerate_support": lambda lib: lib.distributions.Categorical(
        lib.tensor([0.2, 0.8])
    ).enumerate_support(),
    "one_hot_sample_shape": lambda lib: (
        lib.distributions.OneHotCategorical(lib.tensor([0.2, 0.8])).sample((2,)).shape
    ),
    "sample_is_not_differentiable": lambda lib: (
        lib.distributions.Normal(lib.tensor(0.0, requires_grad=True), 1.0)
        .sample((2,))
        .requires_grad
    ),
    "expanded_log_prob_shape": lambda lib: (
        lib.distributions.Normal(lib.zeros(2), 1.0).expand((3, 2)).log_prob(lib.zeros(3, 2)).shape
    ),
    "base_class_without_arg_constraints": lambda lib: lib.distributions.Distribution().batch_shape,
    "bernoulli_probs_from_logits": lambda lib: (
        lib.distributions.Bernoulli(logits=lib.tensor([0.0, 1.0])).probs
    ),
    "normal_icdf": lambda lib: lib.distributions.Normal(0.0, 1.0).icdf(lib.tensor(0.975)),
    "laplace_icdf": lambda lib: lib.distributions.Laplace(0.0, 1.0).icdf(lib.tensor(0.975)),
    "simplex_check": lambda lib: lib.distributions.constraints.simplex.check(
        lib.tensor([[0.5, 0.5], [0.5, 0.6]])
    ),
    "positive_definite_check": lambda lib: lib.distributions.constraints.positive_definite.check(
        lib.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])
    ),
    "rsample_of_a_family_without_one": lambda lib: lib.distributions.Poisson(2.0).rsample(),
    "cdf_of_a_family_without_one": lambda lib: lib.distributions.Bernoulli(0.3).cdf(
        lib.tensor(0.0)
    ),
}


def run(snippet: Callable[[Any], Any], lib: Any) -> tuple[str, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.manual_seed(0)  # draws compared under the same seed
            value = snippet(lib)
    except Exception as e:  # the exception itself is what is compared
        return type(e).__name__, str(e).replace("torch", "chainrule")
    return "value", repr(value).replace("torch", "chainrule")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_matches_torch(name: str) -> None:
    assert run(SNIPPETS[name], cr) == run(SNIPPETS[name], torch)


def test_a_distribution_without_arg_constraints_warns_as_torch_does() -> None:
    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        cr.distributions.Distribution()


def test_normal_cdf_of_float64_values_with_number_parameters_rounds_as_torch() -> None:
    """Number parameters make float32 tensors; PyTorch takes 1 / scale there and standardizes
    a float64 value in float64. chainrule's scale * sqrt(2) in float32 moved the cdf's tails
    by up to 4e-5 (relative) from PyTorch's; what is left is the two erf implementations."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        loc, scale = float(rng.normal()), float(rng.uniform(0.1, 3.0))
        value = rng.normal(size=5) * 3
        ours = cr.distributions.Normal(loc, scale).cdf(cr.tensor(value, dtype=cr.float64))
        theirs = torch.distributions.Normal(loc, scale).cdf(torch.tensor(value))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=0)
