"""Probability distributions with PyTorch's ``torch.distributions`` API on chainrule tensors.

Densities, entropies and KL divergences are differentiable in every parameter; samplers draw
from chainrule's random stream (PyTorch's under the same seed).

    >>> import chainrule as cr
    >>> d = cr.distributions.Normal(cr.tensor(0.0, requires_grad=True), 1.0)
    >>> d.log_prob(cr.tensor(1.0)).backward()
    >>> d.loc.grad
    tensor(1.)
"""

from chainrule.distributions import constraints
from chainrule.distributions.bernoulli import Bernoulli
from chainrule.distributions.categorical import Categorical, OneHotCategorical
from chainrule.distributions.distribution import Distribution, ExponentialFamily
from chainrule.distributions.kl import kl_divergence, register_kl
from chainrule.distributions.normal import Normal
from chainrule.distributions.simple import Exponential, Laplace, Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "Laplace",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
