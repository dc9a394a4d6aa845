"""Probability distributions with PyTorch's ``torch.distributions`` API on chainrule tensors.

Densities, entropies and KL divergences are differentiable in every parameter; samplers draw
from chainrule's random stream (PyTorch's under the same seed).

    >>> import chainrule as cr
    >>> d = cr.distributions.Normal(cr.tensor(0.0, requires_grad=True), 1.0)
    >>> d.log_prob(cr.tensor(1.0)).backward()
    >>> d.loc.grad
    tensor(1.)
"""

from chainrule.distributions import constraints, transforms
from chainrule.distributions.bernoulli import Bernoulli
from chainrule.distributions.binomial import Binomial
from chainrule.distributions.categorical import Categorical, OneHotCategorical
from chainrule.distributions.cauchy import Cauchy
from chainrule.distributions.chi2 import Chi2
from chainrule.distributions.continuous_bernoulli import ContinuousBernoulli
from chainrule.distributions.distribution import Distribution, ExponentialFamily
from chainrule.distributions.gamma import Beta, Dirichlet, Gamma
from chainrule.distributions.geometric import Geometric
from chainrule.distributions.gumbel import Gumbel
from chainrule.distributions.half_normal import HalfNormal
from chainrule.distributions.independent import Independent
from chainrule.distributions.kl import kl_divergence, register_kl
from chainrule.distributions.log_normal import LogNormal
from chainrule.distributions.mixture_same_family import MixtureSameFamily
from chainrule.distributions.multinomial import Multinomial
from chainrule.distributions.multivariate_normal import MultivariateNormal
from chainrule.distributions.negative_binomial import NegativeBinomial
from chainrule.distributions.normal import Normal
from chainrule.distributions.poisson import Poisson
from chainrule.distributions.simple import Exponential, Laplace, Uniform
from chainrule.distributions.student_t import StudentT
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    TanhTransform,
    Transform,
)

__all__ = [
    "StudentT",
    "HalfNormal",
    "Gumbel",
    "Geometric",
    "Chi2",
    "Cauchy",
    "Binomial",
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Categorical",
    "ComposeTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "ExponentialFamily",
    "Gamma",
    "Independent",
    "Laplace",
    "LogNormal",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Poisson",
    "PowerTransform",
    "SigmoidTransform",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transforms",
    # ---- counts, mixtures and the continuous Bernoulli
    "NegativeBinomial",
    "Multinomial",
    "MixtureSameFamily",
    "ContinuousBernoulli",
]

# ---- heavy-tailed and positive families built as transformed distributions
from chainrule.distributions.half_cauchy import HalfCauchy  # noqa: E402
from chainrule.distributions.inverse_gamma import InverseGamma  # noqa: E402
from chainrule.distributions.kumaraswamy import Kumaraswamy  # noqa: E402
from chainrule.distributions.pareto import Pareto  # noqa: E402
from chainrule.distributions.weibull import Weibull  # noqa: E402

__all__ += ["HalfCauchy", "InverseGamma", "Kumaraswamy", "Pareto", "Weibull"]

# ---- relaxed (Concrete) families, the straight-through one-hot categorical, and the
# Fisher-Snedecor, von Mises and generalized Pareto distributions
from chainrule.distributions.fishersnedecor import FisherSnedecor  # noqa: E402
from chainrule.distributions.generalized_pareto import GeneralizedPareto  # noqa: E402
from chainrule.distributions.relaxed_bernoulli import RelaxedBernoulli  # noqa: E402
from chainrule.distributions.relaxed_categorical import (  # noqa: E402
    OneHotCategoricalStraightThrough,
    RelaxedOneHotCategorical,
)
from chainrule.distributions.von_mises import VonMises  # noqa: E402

__all__ += [
    "FisherSnedecor",
    "GeneralizedPareto",
    "OneHotCategoricalStraightThrough",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "VonMises",
]

# ---- more transforms (torch.distributions.transforms) and the constraint registry
from chainrule.distributions import constraint_registry  # noqa: E402
from chainrule.distributions.constraint_registry import biject_to, transform_to  # noqa: E402
from chainrule.distributions.logistic_normal import LogisticNormal  # noqa: E402
from chainrule.distributions.lowrank_multivariate_normal import (  # noqa: E402
    LowRankMultivariateNormal,
)
from chainrule.distributions.transforms import (  # noqa: E402
    CatTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    ReshapeTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    identity_transform,
)

__all__ += [
    "CatTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "ReshapeTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "identity_transform",
    "biject_to",
    "transform_to",
    "constraint_registry",
    "LogisticNormal",
    "LowRankMultivariateNormal",
]

# ---- the LKJ distribution of correlation Cholesky factors and the Wishart distribution,
# loaded at their first use
_LAZY = {"LKJCholesky": "lkj_cholesky", "Wishart": "wishart"}
__all__ += list(_LAZY)


def __getattr__(name: str) -> object:
    """``LKJCholesky`` and ``Wishart``, imported at first use, so that ``import chainrule``
    does not compile their modules."""
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"chainrule.distributions.{_LAZY[name]}")
        globals()[name] = value = getattr(module, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
