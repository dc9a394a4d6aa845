"""The multinomial distribution: how many of ``total_count`` categorical draws fall in each of
K categories.

>>> import chainrule as cr
>>> d = Multinomial(2, probs=cr.tensor([0.5, 0.5]))
>>> d.log_prob(cr.tensor([1.0, 1.0])).exp()
tensor(0.5000)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.binomial import Binomial
from chainrule.distributions.categorical import Categorical, OverCategories
from chainrule.distributions.distribution import Distribution
from chainrule.grad_mode import no_grad
from chainrule.nn import functional as F
from chainrule.ops.elementwise import where
from chainrule.ops.shape import broadcast_tensors
from chainrule.ops.special_ops import lgamma
from chainrule.tensor import Size

__all__ = ["Multinomial"]


class Multinomial(OverCategories, Distribution):
    """Counts of each category among ``total_count`` independent Categorical(``probs``) draws;
    an event is the vector of K counts."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(
        self,
        total_count: int = 1,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        # the count in one category is Binomial(total_count, p_i): entropy sums over them, and
        # building it checks total_count
        self._binomial = Binomial(total_count, self.probs)
        super().__init__(
            self._categorical.batch_shape, self.param_shape[-1:], validate_args=validate_args
        )

    def expand(self, batch_shape: Any, _instance: Any = None) -> Multinomial:
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = self._binomial.expand((*batch_shape, *self.event_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> Any:
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Any:
        return self.probs * self.total_count

    @property
    def variance(self) -> Any:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Any:
        # total_count category draws per element, counted per category
        with no_grad():
            draws = self._categorical.sample(Size((self.total_count, *Size(sample_shape))))
            counts = F.one_hot(draws, self.event_shape[0]).sum(0)
            return counts.to(self.probs.dtype)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_tensors(self.logits, value)
        # n! / prod k_i! prod p_i^k_i; a category with no draws adds 0 even at p_i = 0
        # (logits -inf), where logits * k would be nan. Only those logits are zeroed (PyTorch's):
        # elsewhere d/dk_i keeps its log p_i term at k_i = 0
        unreachable = (value == 0) & (logits == -math.inf)
        powers = (where(unreachable, 0.0, logits) * value).sum(-1)
        return lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1) + powers

    def entropy(self) -> Any:
        # -E[log P] = n H(categorical) - log n! + sum_i E[log k_i!], k_i ~ Binomial(n, p_i)
        n = self.total_count
        counts = self._binomial.enumerate_support(expand=False)[1:]
        weights = self._binomial.log_prob(counts).exp() * lgamma(counts + 1)
        log_n_factorial = lgamma(counts.new_tensor(float(n + 1)))
        return n * self._categorical.entropy() - log_n_factorial + weights.sum((0, -1))
