"""The base class of every distribution: shapes, argument and sample validation, and the
methods a family may leave to it (``sample`` through ``rsample``, ``stddev``, ``perplexity``).

    >>> import chainrule as cr
    >>> d = cr.distributions.Normal(cr.zeros(2), 1.0)
    >>> d.batch_shape, d.event_shape
    (chainrule.Size([2]), chainrule.Size([]))
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.utils import lazy_property
from chainrule.grad_mode import no_grad
from chainrule.ops.elementwise import exp
from chainrule.tensor import Size, Tensor

__all__ = ["Distribution"]


class Distribution:
    """A batch of probability distributions over events of ``event_shape``."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(
        self,
        batch_shape: Any = (),
        event_shape: Any = (),
        validate_args: bool | None = None,
    ) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            warnings.warn(
                f"{type(self)} does not define `arg_constraints`. Please set "
                "`arg_constraints = {}` or initialize the distribution with "
                "`validate_args=False` to turn off validation.",
                stacklevel=3,
            )
            return
        for name, constraint in arg_constraints.items():
            if isinstance(constraint, constraints._Dependent):
                continue
            if name not in self.__dict__ and isinstance(getattr(type(self), name), lazy_property):
                continue  # given through its other form (logits for probs)
            value = getattr(self, name)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}"
                )

    # ---- shapes and descriptions
    @property
    def batch_shape(self) -> Any:
        return self._batch_shape

    @property
    def event_shape(self) -> Any:
        return self._event_shape

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        raise NotImplementedError

    @property
    def support(self) -> Any:
        raise NotImplementedError

    def _extended_shape(self, sample_shape: Any = ()) -> Any:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        raise NotImplementedError

    def _get_checked_instance(self, cls: type, _instance: Any) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return cls.__new__(type(self)) if _instance is None else _instance

    # ---- moments
    @property
    def mean(self) -> Any:
        raise NotImplementedError

    @property
    def mode(self) -> Any:
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Any:
        raise NotImplementedError

    @property
    def stddev(self) -> Any:
        return self.variance.sqrt()

    # ---- sampling
    def sample(self, sample_shape: Any = ()) -> Any:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Any:
        raise NotImplementedError

    def sample_n(self, n: int) -> Any:
        return self.sample(Size((n,)))

    # ---- densities
    def log_prob(self, value: Any) -> Any:
        raise NotImplementedError

    def cdf(self, value: Any) -> Any:
        raise NotImplementedError

    def icdf(self, value: Any) -> Any:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Any:
        raise NotImplementedError

    def entropy(self) -> Any:
        raise NotImplementedError

    def perplexity(self) -> Any:
        return exp(self.entropy())

    def _validate_sample(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim = len(self._event_shape)
        if tuple(value.shape[value.dim() - event_dim :]) != tuple(self._event_shape):
            raise ValueError(
                "The right-most size of value must match event_shape: "
                f"{value.shape} vs {self._event_shape}."
            )
        actual, expected = value.shape, self.batch_shape + self.event_shape
        for i in range(1, min(len(actual), len(expected)) + 1):
            if actual[-i] != 1 and expected[-i] != 1 and actual[-i] != expected[-i]:
                raise ValueError(
                    "Value is not broadcastable with batch_shape+event_shape: "
                    f"{actual} vs {expected}."
                )
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) "
                f"to be within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        shown = []
        for k in names:
            v = self.__dict__[k]
            shown.append(f"{k}: {v if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(shown)})"


class ExponentialFamily(Distribution):
    """Distributions whose density is exp(<t(x), theta> - F(theta) + k(x)); the KL divergence
    between two members of different families is refused."""


def expanded(d: Distribution, cls: type, batch_shape: Any, _instance: Any, names: list[str]) -> Any:
    """A copy of ``d`` whose parameters ``names`` are expanded to ``batch_shape`` (views, no
    copies); the shared body of the families' ``expand``. The one a family was given (its
    ``_param``, which ``param_shape`` reads: probs or logits) is the copy's ``_param`` too."""
    new = d._get_checked_instance(cls, _instance)
    batch_shape = Size(batch_shape)
    given = d.__dict__.get("_param")
    for name in names:
        if name in d.__dict__:  # a lazy form (probs of logits) may not exist yet
            value = d.__dict__[name]
            # one tuple, not unpacked: expand() of nothing is refused, and () is a valid shape
            new.__dict__[name] = value.expand((*batch_shape, *value.shape[len(d.batch_shape) :]))
            if value is given:
                new._param = new.__dict__[name]
    Distribution.__init__(new, batch_shape, d.event_shape, validate_args=False)
    new._validate_args = d._validate_args
    return new
