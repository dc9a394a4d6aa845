"""Invertible maps y = f(x) with log |det df/dx|, for TransformedDistribution.

>>> import chainrule as cr
>>> t = ExpTransform()
>>> t.inv(t(cr.tensor(0.5)))
tensor(0.5000)

Some change the event's shape: stick-breaking takes K reals to a point of the (K + 1)-simplex,
and zero to its centre:

>>> StickBreakingTransform()(cr.zeros(2))
tensor([0.3333, 0.3333, 0.3333])
>>> CorrCholeskyTransform().forward_shape((4, 3))
(4, 3, 3)
"""

from __future__ import annotations

import math
import weakref
from numbers import Number
from typing import Any

from chainrule import linalg
from chainrule._array import xp
from chainrule.distributions import constraints
from chainrule.distributions.utils import broadcast_all, finfo_eps, finfo_tiny
from chainrule.factories import as_tensor, eye, full_like, zeros_like
from chainrule.nn import functional as F
from chainrule.ops.elementwise import expm1, sigmoid
from chainrule.ops.shape import broadcast_shapes, cat, stack
from chainrule.tensor import Size

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "CatTransform",
    "ComposeTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "ExpTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "identity_transform",
]


def sum_rightmost(value: Any, dim: int) -> Any:
    """value summed over its last ``dim`` dimensions."""
    return value.reshape(*value.shape[: value.dim() - dim], -1).sum(-1) if dim > 0 else value


class Transform:
    """A map from ``domain`` to ``codomain``; ``cache_size=1`` remembers the last (x, y) pair
    so that inverting a sample gives back its exact x. Equal only to itself unless a subclass
    says otherwise; ``sign`` is defined only by monotone elementwise maps."""

    bijective = False
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached: tuple[Any, Any] | None = None

    @property
    def sign(self) -> Any:
        raise NotImplementedError

    @property
    def event_dim(self) -> int:
        d, c = self.domain.event_dim, self.codomain.event_dim
        if d != c:
            raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")
        return d

    @property
    def inv(self) -> Transform:
        # one inverse object per transform while someone holds it, as PyTorch keeps
        known = getattr(self, "_inverse_ref", None)
        inverse = known() if known is not None else None
        if inverse is None:
            inverse = _InverseTransform(self)
            self._inverse_ref = weakref.ref(inverse)
        return inverse

    def __getstate__(self) -> dict[str, Any]:
        # a weak reference does not pickle; the inverse is rebuilt on demand
        state = dict(self.__dict__)
        state.pop("_inverse_ref", None)
        return state

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with another cache size (itself when the size is already that)."""
        if cache_size == self._cache_size:
            return self
        return self._rebuilt(cache_size)

    def _rebuilt(self, cache_size: int) -> Transform:
        # a transform without parameters is rebuilt from its class; others say how
        if type(self).__init__ is not Transform.__init__:
            raise NotImplementedError(f"{type(self)}.with_cache is not implemented")
        return type(self)(cache_size=cache_size)

    def __call__(self, x: Any) -> Any:
        if self._cached is not None and self._cached[0] is x:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y: Any) -> Any:
        if self._cached is not None and self._cached[1] is y:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    def _call(self, x: Any) -> Any:
        raise NotImplementedError

    def _inverse(self, y: Any) -> Any:
        raise NotImplementedError

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        raise NotImplementedError

    def forward_shape(self, shape: Any) -> Any:
        return shape

    def inverse_shape(self, shape: Any) -> Any:
        return shape

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _SameTypeEqual:
    """Mixin: every instance of a transform without parameters equals every other."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self))

    def __hash__(self) -> int:
        return hash(type(self))


class _InverseTransform(Transform):
    """The inverse of a transform, sharing its cache."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(transform._cache_size)
        self._inv = transform

    domain = property(lambda self: self._inv.codomain)  # type: ignore[assignment]
    codomain = property(lambda self: self._inv.domain)  # type: ignore[assignment]
    bijective = property(lambda self: self._inv.bijective)  # type: ignore[assignment]
    sign = property(lambda self: self._inv.sign)

    @property
    def inv(self) -> Transform:  # type: ignore[override]
        return self._inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inv.with_cache(cache_size).inv

    def __call__(self, x: Any) -> Any:
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape: Any) -> Any:
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape: Any) -> Any:
        return self._inv.forward_shape(shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __hash__(self) -> int:
        return hash(self._inv)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inv!r})"


class ExpTransform(_SameTypeEqual, Transform):
    """y = exp(x)."""

    bijective = True
    sign = 1
    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x: Any) -> Any:
        return x.exp()

    def _inverse(self, y: Any) -> Any:
        return y.log()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return x


class PowerTransform(Transform):
    """y = x ** exponent on the positive reals."""

    bijective = True
    domain = constraints.positive
    codomain = constraints.positive

    def __init__(self, exponent: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        # a number becomes a tensor (PyTorch's), so ``sign`` is its sign, not always +1
        (self.exponent,) = broadcast_all(exponent)

    def _rebuilt(self, cache_size: int) -> Transform:
        return PowerTransform(self.exponent, cache_size=cache_size)

    def forward_shape(self, shape: Any) -> Any:
        return broadcast_shapes(shape, self.exponent.shape)

    inverse_shape = forward_shape

    @property
    def sign(self) -> Any:  # type: ignore[override]
        return self.exponent.sign()

    def _call(self, x: Any) -> Any:
        return x.pow(self.exponent)

    def _inverse(self, y: Any) -> Any:
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return (self.exponent * y / x).abs().log()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and bool(self.exponent.eq(other.exponent).all())

    __hash__ = Transform.__hash__


def _clipped_sigmoid(x: Any) -> Any:
    """sigmoid(x) kept in [tiny, 1 - eps], so that its log and its inverse stay finite."""
    return sigmoid(x).clamp(min=finfo_tiny(x.dtype), max=1.0 - finfo_eps(x.dtype))


class SigmoidTransform(_SameTypeEqual, Transform):
    """y = 1 / (1 + exp(-x)), kept in [tiny, 1 - eps] so that its inverse stays finite."""

    bijective = True
    sign = 1
    domain = constraints.real
    codomain = constraints.unit_interval

    def _call(self, x: Any) -> Any:
        return _clipped_sigmoid(x)

    def _inverse(self, y: Any) -> Any:
        y = y.clamp(min=finfo_tiny(y.dtype), max=1.0 - finfo_eps(y.dtype))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        softplus = F.softplus
        return -softplus(-x) - softplus(x)  # log(s (1 - s))


class TanhTransform(_SameTypeEqual, Transform):
    """y = tanh(x)."""

    bijective = True
    sign = 1
    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x: Any) -> Any:
        return x.tanh()

    def _inverse(self, y: Any) -> Any:
        return y.atanh()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        # log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x)), stable for large |x|
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class AffineTransform(Transform):
    """y = loc + scale * x, on events of ``event_dim`` dimensions."""

    bijective = True

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    def _rebuilt(self, cache_size: int) -> Transform:
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def forward_shape(self, shape: Any) -> Any:
        return broadcast_shapes(
            shape, getattr(self.loc, "shape", ()), getattr(self.scale, "shape", ())
        )

    inverse_shape = forward_shape

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self._event_dim

    @property
    def domain(self) -> Any:  # type: ignore[override]
        e = self._event_dim
        return constraints.real if e == 0 else constraints.independent(constraints.real, e)

    codomain = domain

    @property
    def sign(self) -> Any:  # type: ignore[override]
        if isinstance(self.scale, Number):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x: Any) -> Any:
        return self.loc + self.scale * x

    def _inverse(self, y: Any) -> Any:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        if isinstance(self.scale, Number):
            log_scale = full_like(x, math.log(abs(self.scale)))
        else:
            log_scale = self.scale.abs().log()
        shape = x.shape
        if self._event_dim:
            # PyTorch's value, kept as it is: the sum runs over the scale tensor's own trailing
            # elements, not over x's event, so a scale that broadcasts against x (a 0-d one,
            # say) counts log |scale| once per scale element rather than once per x element
            log_scale = log_scale.view(*log_scale.shape[: -self._event_dim], -1).sum(-1)
            shape = shape[: -self._event_dim]
        return log_scale.expand(shape)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineTransform):
            return False
        same = [
            a == b if isinstance(a, Number) and isinstance(b, Number) else bool((a == b).all())
            for a, b in ((self.loc, other.loc), (self.scale, other.scale))
        ]
        return all(same)

    __hash__ = Transform.__hash__


class ComposeTransform(Transform):
    """The transforms applied in order: parts[-1](...parts[0](x)). Where a later part works on
    larger events than an earlier one, the domain (and codomain) grows to those events."""

    def __init__(self, parts: list[Transform], cache_size: int = 0) -> None:
        if cache_size:
            parts = [p.with_cache(cache_size) for p in parts]
        super().__init__(cache_size)
        self.parts = list(parts)

    def _rebuilt(self, cache_size: int) -> Transform:
        return ComposeTransform(self.parts, cache_size=cache_size)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(p.bijective for p in self.parts)

    @property
    def inv(self) -> Transform:  # type: ignore[override]
        # the parts' inverses in reverse order (so cached parts invert to their exact inputs);
        # the two transforms know each other while both are alive
        known = getattr(self, "_inverse_ref", None)
        inverse = known() if known is not None else None
        if inverse is None:
            inverse = ComposeTransform([p.inv for p in reversed(self.parts)])
            self._inverse_ref = weakref.ref(inverse)
            inverse._inverse_ref = weakref.ref(self)
        return inverse

    @property
    def domain(self) -> Any:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        needed = self.parts[-1].codomain.event_dim
        for p in reversed(self.parts):
            needed = max(needed + p.domain.event_dim - p.codomain.event_dim, p.domain.event_dim)
        return _widened(self.parts[0].domain, needed)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        reached = self.domain.event_dim
        for p in self.parts:
            reached = max(reached + p.codomain.event_dim - p.domain.event_dim, p.codomain.event_dim)
        return _widened(self.parts[-1].codomain, reached)

    @property
    def sign(self) -> Any:  # type: ignore[override]
        sign = 1
        for p in self.parts:
            sign = sign * p.sign
        return sign

    def _call(self, x: Any) -> Any:
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y: Any) -> Any:
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        if not self.parts:
            return zeros_like(x)
        total: Any = 0
        event_dim = self.domain.event_dim
        for i, p in enumerate(self.parts):
            # the last part's output is y itself, so a cached y keeps its exact preimage
            y_part = y if i == len(self.parts) - 1 else p(x)
            term = p.log_abs_det_jacobian(x, y_part)
            total = total + sum_rightmost(term, event_dim - p.domain.event_dim)
            event_dim += p.codomain.event_dim - p.domain.event_dim
            x = y_part
        return total

    def forward_shape(self, shape: Any) -> Any:
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape: Any) -> Any:
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return shape

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = Transform.__hash__

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(p) for p in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


def _widened(constraint: constraints.Constraint, event_dim: int) -> constraints.Constraint:
    """``constraint`` over events of ``event_dim`` dimensions (itself when it already is)."""
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


identity_transform = ComposeTransform([])


class AbsTransform(_SameTypeEqual, Transform):
    """y = |x| (not injective: the inverse gives the nonnegative preimage)."""

    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x: Any) -> Any:
        return x.abs()

    def _inverse(self, y: Any) -> Any:
        return y


class SoftplusTransform(_SameTypeEqual, Transform):
    """y = log(1 + exp(x)), from the reals onto the positive reals."""

    bijective = True
    sign = 1
    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x: Any) -> Any:
        return F.softplus(x)

    def _inverse(self, y: Any) -> Any:
        # log(exp(y) - 1) written so that it overflows for no y
        return y + (-expm1(-y)).log()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return -F.softplus(-x)  # log sigmoid(x)


def _too_few_dims(shape: Any, needed: int) -> None:
    if len(shape) < needed:
        raise ValueError("Too few dimensions on input")


def _same_kind(shape: Any, dims: Any) -> Any:
    """``dims`` as a Size when ``shape`` is one (a plain tuple otherwise), as slicing and
    extending a ``torch.Size`` keep it a Size."""
    return Size(dims) if isinstance(shape, Size) else tuple(dims)


class SoftmaxTransform(_SameTypeEqual, Transform):
    """Vectors onto the simplex by softmax over the last dimension (not injective: the inverse
    gives the log-probabilities, one of the preimages)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Any) -> Any:
        return F.softmax(x, dim=-1)

    def _inverse(self, y: Any) -> Any:
        return y.log()

    def forward_shape(self, shape: Any) -> Any:
        _too_few_dims(shape, 1)
        return shape

    inverse_shape = forward_shape


def _stick_offsets(x: Any, k: int) -> Any:
    """log(k), log(k - 1), ..., log(1): centring the k breaks at x = 0 on the uniform point."""
    return as_tensor(xp.log(xp.arange(k, 0, -1, dtype=xp.float64)), dtype=x.dtype)


class StickBreakingTransform(_SameTypeEqual, Transform):
    """K reals onto the K + 1 simplex: each coordinate breaks off a sigmoid fraction of what the
    earlier ones left."""

    bijective = True
    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Any) -> Any:
        # clipped (PyTorch's): a large x would break off the whole stick, leaving exact zeros
        # whose logs make log |det J| and the gradients nan
        frac = _clipped_sigmoid(x - _stick_offsets(x, x.shape[-1]))
        left = (1 - frac).cumprod(-1)
        return F.pad(frac, (0, 1), value=1.0) * F.pad(left, (1, 0), value=1.0)

    def _inverse(self, y: Any) -> Any:
        head = y[..., :-1]
        left = (1 - head.cumsum(-1)).clamp(min=finfo_tiny(y.dtype))
        return head.log() - left.log() + _stick_offsets(y, head.shape[-1])

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        # triangular Jacobian: dy_i/dx_i = y_i (1 - frac_i)
        shifted = x - _stick_offsets(x, x.shape[-1])
        return (F.logsigmoid(-shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape: Any) -> Any:
        _too_few_dims(shape, 1)
        return _same_kind(shape, (*shape[:-1], shape[-1] + 1))

    def inverse_shape(self, shape: Any) -> Any:
        _too_few_dims(shape, 1)
        return _same_kind(shape, (*shape[:-1], shape[-1] - 1))


class ReshapeTransform(Transform):
    """Events of ``in_shape`` reshaped to ``out_shape`` (same number of elements)."""

    bijective = True

    def __init__(self, in_shape: Any, out_shape: Any, cache_size: int = 0) -> None:
        self.in_shape, self.out_shape = Size(in_shape), Size(out_shape)
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size)

    def _rebuilt(self, cache_size: int) -> Transform:
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x: Any) -> Any:
        batch = x.shape[: x.dim() - len(self.in_shape)]
        return x.reshape(*batch, *self.out_shape)

    def _inverse(self, y: Any) -> Any:
        batch = y.shape[: y.dim() - len(self.out_shape)]
        return y.reshape(*batch, *self.in_shape)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return x.new_zeros(x.shape[: x.dim() - len(self.in_shape)])

    @staticmethod
    def _swap(shape: Any, old: Size, new: Size) -> Any:
        _too_few_dims(shape, len(old))
        cut = len(shape) - len(old)
        if tuple(shape[cut:]) != tuple(old):
            found = _same_kind(shape, shape[cut:])
            raise ValueError(f"Shape mismatch: expected {found} but got {old}")
        return Size((*shape[:cut], *new))

    def forward_shape(self, shape: Any) -> Any:
        return self._swap(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape: Any) -> Any:
        return self._swap(shape, self.out_shape, self.in_shape)


class IndependentTransform(Transform):
    """``base_transform`` with its last ``reinterpreted_batch_ndims`` batch dimensions taken
    into the event: the log |det J| is summed over them."""

    def __init__(
        self, base_transform: Transform, reinterpreted_batch_ndims: int, cache_size: int = 0
    ) -> None:
        super().__init__(cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def _rebuilt(self, cache_size: int) -> Transform:
        return IndependentTransform(
            self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size
        )

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self.base_transform.bijective

    @property
    def sign(self) -> Any:  # type: ignore[override]
        return self.base_transform.sign

    def _call(self, x: Any) -> Any:
        _too_few_dims(x.shape, self.domain.event_dim)
        return self.base_transform(x)

    def _inverse(self, y: Any) -> Any:
        _too_few_dims(y.shape, self.codomain.event_dim)
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        inner = self.base_transform.log_abs_det_jacobian(x, y)
        return sum_rightmost(inner, self.reinterpreted_batch_ndims)

    def forward_shape(self, shape: Any) -> Any:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: Any) -> Any:
        return self.base_transform.inverse_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class CumulativeDistributionTransform(Transform):
    """y = F(x), the cdf of ``distribution``: its support onto the unit interval, with
    log |det J| = log p(x)."""

    bijective = True
    sign = 1
    codomain = constraints.unit_interval

    def __init__(self, distribution: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.distribution = distribution

    def _rebuilt(self, cache_size: int) -> Transform:
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return self.distribution.support

    def _call(self, x: Any) -> Any:
        return self.distribution.cdf(x)

    def _inverse(self, y: Any) -> Any:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return self.distribution.log_prob(x)


def _check_dim(t: Any, dim: int) -> None:
    if not -t.dim() <= dim < t.dim():
        raise AssertionError(f"dim {dim} out of range for tensor with {t.dim()} dimensions")


def _check_size(t: Any, dim: int, expected: int, name: str, what: str) -> None:
    if t.size(dim) != expected:
        raise AssertionError(f"{name}.size({dim}) = {t.size(dim)} must equal {what} {expected}")


def _transform_list(tseq: Any, cache_size: int) -> list[Transform]:
    if not all(isinstance(t, Transform) for t in tseq):
        raise AssertionError("All elements of tseq must be Transform instances")
    return [t.with_cache(cache_size) if cache_size else t for t in tseq]


class CatTransform(Transform):
    """Consecutive pieces of ``dim`` (of ``lengths``) mapped by their own transforms and
    concatenated back."""

    def __init__(self, tseq: Any, dim: int = 0, lengths: Any = None, cache_size: int = 0) -> None:
        self.transforms = _transform_list(tseq, cache_size)
        super().__init__(cache_size)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(
                f"lengths ({len(self.lengths)}) must match transforms ({len(self.transforms)})"
            )
        self.dim = dim

    def _rebuilt(self, cache_size: int) -> Transform:
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _pieces(self, t: Any, name: str) -> list[Any]:
        _check_dim(t, self.dim)
        _check_size(t, self.dim, self.length, name, "length")
        starts = xp.cumsum([0, *self.lengths[:-1]])
        return [t.narrow(self.dim, int(s), n) for s, n in zip(starts, self.lengths, strict=True)]

    def _call(self, x: Any) -> Any:
        parts = zip(self.transforms, self._pieces(x, "x"), strict=True)
        return cat([t(piece) for t, piece in parts], dim=self.dim)

    def _inverse(self, y: Any) -> Any:
        parts = zip(self.transforms, self._pieces(y, "y"), strict=True)
        return cat([t.inv(piece) for t, piece in parts], dim=self.dim)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        terms = []
        for t, xs, ys in zip(
            self.transforms, self._pieces(x, "x"), self._pieces(y, "y"), strict=True
        ):
            terms.append(
                sum_rightmost(t.log_abs_det_jacobian(xs, ys), self.event_dim - t.event_dim)
            )
        # the joined dimension, counted from the end of log|det J| (which lost the event dims)
        from_end = (self.dim - x.dim() if self.dim >= 0 else self.dim) + self.event_dim
        if from_end < 0:
            return cat(terms, dim=from_end)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total


class StackTransform(Transform):
    """The slices along ``dim`` mapped by their own transforms and stacked back."""

    def __init__(self, tseq: Any, dim: int = 0, cache_size: int = 0) -> None:
        self.transforms = _transform_list(tseq, cache_size)
        super().__init__(cache_size)
        self.dim = dim

    def _rebuilt(self, cache_size: int) -> Transform:
        return StackTransform(self.transforms, self.dim, cache_size)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _slices(self, t: Any, name: str) -> list[Any]:
        _check_dim(t, self.dim)
        _check_size(t, self.dim, len(self.transforms), name, "len(transforms)")
        return [t.select(self.dim, i) for i in range(len(self.transforms))]

    def _call(self, x: Any) -> Any:
        parts = zip(self.transforms, self._slices(x, "x"), strict=True)
        return stack([t(piece) for t, piece in parts], dim=self.dim)

    def _inverse(self, y: Any) -> Any:
        parts = zip(self.transforms, self._slices(y, "y"), strict=True)
        return stack([t.inv(piece) for t, piece in parts], dim=self.dim)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        pairs = zip(self.transforms, self._slices(x, "x"), self._slices(y, "y"), strict=True)
        return stack([t.log_abs_det_jacobian(xs, ys) for t, xs, ys in pairs], dim=self.dim)


class LowerCholeskyTransform(_SameTypeEqual, Transform):
    """Square matrices onto lower-triangular ones with a positive diagonal: keeps the strictly
    lower part and exponentiates the diagonal."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x: Any) -> Any:
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y: Any) -> Any:
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(_SameTypeEqual, Transform):
    """Square matrices onto positive definite ones: L L^T of LowerCholeskyTransform's L."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x: Any) -> Any:
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y: Any) -> Any:
        return LowerCholeskyTransform().inv(linalg.cholesky(y))


def _strict_lower_index(n: int) -> tuple[Any, Any]:
    """For n x n matrices: the flat positions of the strictly lower triangle (row by row), and a
    map from each flat position to its place in that list (n(n-1)/2 for the others)."""
    rows, cols = xp.tril_indices(n, -1)
    flat = rows * n + cols
    places = xp.full(n * n, len(flat))
    places[flat] = xp.arange(len(flat))
    return flat, places


def _vector_to_strict_lower(v: Any) -> Any:
    k = v.shape[-1]
    root = (1 + math.sqrt(1 + 8 * k)) / 2  # n with n(n-1)/2 = k
    n = round(root)
    # PyTorch refuses a root well below its rounding, and fails to fill the matrix otherwise
    if n - root > finfo_eps(v.dtype):
        raise ValueError(
            f"The size of last dimension is {k} which cannot be expressed as "
            "the lower triangular part of a square D x D matrix."
        )
    if n * (n - 1) // 2 != k:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{k}] cannot be broadcast to indexing "
            f"result of shape [{n * (n - 1) // 2}]"
        )
    _, places = _strict_lower_index(n)
    padded = F.pad(v, (0, 1), value=0.0)  # the last entry fills the rest of the matrix
    return padded[..., as_tensor(places)].reshape(*v.shape[:-1], n, n)


def _strict_lower_to_vector(m: Any) -> Any:
    n = m.shape[-1]
    flat, _ = _strict_lower_index(n)
    return m.reshape(*m.shape[:-2], n * n)[..., as_tensor(flat)]


class CorrCholeskyTransform(Transform):
    """n(n-1)/2 reals onto Cholesky factors of n x n correlation matrices (lower triangular,
    rows of unit norm): tanh gives partial correlations in (-1, 1), and each row spends them
    as fractions of the squared norm its earlier entries left."""

    bijective = True
    domain = constraints.real_vector
    codomain = constraints.corr_cholesky

    def _call(self, x: Any) -> Any:
        eps = finfo_eps(x.dtype)
        partial = _vector_to_strict_lower(x.tanh().clamp(min=-1 + eps, max=1 - eps))
        left = (1 - partial * partial).sqrt().cumprod(-1)  # sqrt of the norm left after j
        left_before = F.pad(left[..., :-1], (1, 0), value=1.0)
        n = partial.shape[-1]
        return (partial + eye(n, dtype=x.dtype)) * left_before

    def _left_before(self, y: Any) -> Any:
        """1 - the squared norm of each row's entries before column j."""
        return F.pad((1 - (y * y).cumsum(-1))[..., :-1], (1, 0), value=1.0)

    def _inverse(self, y: Any) -> Any:
        partial = _strict_lower_to_vector(y) / _strict_lower_to_vector(self._left_before(y)).sqrt()
        return partial.atanh()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        # each entry is its partial correlation times sqrt(norm left): a triangular Jacobian
        spent = 0.5 * _strict_lower_to_vector(self._left_before(y)).log().sum(-1)
        return spent + TanhTransform().log_abs_det_jacobian(x, None).sum(-1)

    def forward_shape(self, shape: Any) -> Any:
        _too_few_dims(shape, 1)
        k = shape[-1]
        n = round(math.sqrt(0.25 + 2 * k) + 0.5)
        if n * (n - 1) // 2 != k:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return _same_kind(shape, (*shape[:-1], n, n))

    def inverse_shape(self, shape: Any) -> Any:
        _too_few_dims(shape, 2)
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        n = shape[-1]
        return _same_kind(shape, (*shape[:-2], n * (n - 1) // 2))
