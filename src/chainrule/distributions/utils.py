"""Helpers shared by the families: broadcasting parameters, and moving between probabilities and
logits.

    >>> import chainrule as cr
    >>> loc, scale = broadcast_all(cr.zeros(2), 1.0)
    >>> scale
    tensor([1., 1.])
"""

from __future__ import annotations

from numbers import Number
from typing import Any

from chainrule._array import xp
from chainrule.dtypes import get_default_dtype
from chainrule.factories import tensor
from chainrule.grad_mode import enable_grad
from chainrule.ops.elementwise import log, log1p, sigmoid
from chainrule.ops.nn_ops import softmax
from chainrule.ops.shape import broadcast_tensors
from chainrule.tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values: Any) -> tuple[Any, ...]:
    """The values as tensors of one shape; numbers take the dtype of the first tensor given."""
    if not all(isinstance(v, (Number, Tensor)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects "
            "implementing __torch_function__.".replace("torch", "chainrule")
        )
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else get_default_dtype()
    tensors = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    return tuple(broadcast_tensors(*tensors))


def finfo_eps(dtype: Any) -> float:
    """The machine epsilon of a floating dtype."""
    return float(xp.finfo(str(dtype).split(".")[-1]).eps)


def finfo_tiny(dtype: Any) -> float:
    """The smallest normal number of a floating dtype."""
    return float(xp.finfo(str(dtype).split(".")[-1]).tiny)


def clamp_probs(probs: Any) -> Any:
    """Probabilities kept an epsilon away from 0 and 1, so their logs stay finite."""
    eps = finfo_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Any, is_binary: bool = False) -> Any:
    """Sigmoid of binary logits, else softmax over the last dimension."""
    return sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def probs_to_logits(probs: Any, is_binary: bool = False) -> Any:
    """log(p / (1 - p)) for binary probabilities, else log(p) (both on clamped probabilities)."""
    p = clamp_probs(probs)
    return log(p) - log1p(-p) if is_binary else log(p)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed on first use and then stored on the instance (so a parameter given
    as logits yields probs only when asked, and validation can tell which was given)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.fn(instance)
        instance.__dict__[self.__name__] = value
        return value


def one_parameter(probs: Any, logits: Any) -> Any:
    """Whichever of ``probs`` and ``logits`` is given, refused in PyTorch's words where both or
    neither are."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    return probs if probs is not None else logits


class BinaryProbsLogits:
    """The success probability of a two-outcome family, given as ``probs`` or ``logits``: the
    other computed on first use (Bernoulli, Binomial, Geometric, NegativeBinomial and
    ContinuousBernoulli share it). ``param_shape`` is the given one's (``_param``)."""

    @property
    def param_shape(self) -> Any:
        return self._param.size()  # type: ignore[attr-defined]

    @lazy_property
    def logits(self) -> Any:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Any:
        return logits_to_probs(self.logits, is_binary=True)


def batch_shape_of(given: tuple[Any, ...], broadcast: Any) -> Any:
    """The batch shape of a family whose parameters were ``given`` and broadcast to
    ``broadcast``: () when every one was a Python number, as PyTorch's, else its size."""
    return () if all(isinstance(g, Number) for g in given) else broadcast.size()
