"""``torch.special``'s functions that PyTorch gives no derivative (``non_differentiable``):
the Bessel functions ``J0``, ``J1``, ``Y0``, ``Y1``, the modified ``I0``, ``I1``, ``K0``,
``K1`` (and ``exp(x) K``), the spherical ``j0`` and Airy's ``Ai``. As in PyTorch, their
results never require grad, so backward does not reach them; they are :class:`Constant`
ops, kept in the graph for its readers. Values: :mod:`chainrule.ops.cephes`.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> y = cr.special.bessel_j0(x)
    >>> y, y.requires_grad
    (tensor([0.7652, 0.2239]), False)
"""

from __future__ import annotations

from typing import Any, ClassVar

from chainrule.op import Constant
from chainrule.ops import cephes
from chainrule.ops.elementwise import BROADCASTS
from chainrule.ops.special_ops import _on_float64
from chainrule.tensor import Tensor


class SpecialFunction(Constant, abstract=True):
    """One function of ``x``, elementwise, in ``x``'s float dtype (integers: float32; float16
    refused, as PyTorch's kernels have none)."""

    batch_rule = BROADCASTS
    derivatives = ("- (PyTorch defines none)",)
    kernel: ClassVar[Any] = None

    def forward(self, x):
        self.refuse_half(x.dtype)
        return _on_float64(type(self).kernel, x)


class BesselJ0(SpecialFunction):
    half_missing = "bessel_j0_cpu"
    notation = "J0(x)"
    kernel = staticmethod(cephes.j0)


class BesselJ1(SpecialFunction):
    half_missing = "bessel_j1_cpu"
    notation = "J1(x)"
    kernel = staticmethod(cephes.j1)


class BesselY0(SpecialFunction):
    half_missing = "bessel_y0_cpu"
    notation = "Y0(x)"
    kernel = staticmethod(cephes.y0)


class BesselY1(SpecialFunction):
    half_missing = "bessel_y1_cpu"
    notation = "Y1(x)"
    kernel = staticmethod(cephes.y1)


class ModifiedBesselI0(SpecialFunction):
    half_missing = "modified_bessel_i0_cpu"
    notation = "I0(x)"
    kernel = staticmethod(cephes.i0)


class ModifiedBesselI1(SpecialFunction):
    half_missing = "modified_bessel_i1_cpu"
    notation = "I1(x)"
    kernel = staticmethod(cephes.i1)


class ModifiedBesselK0(SpecialFunction):
    half_missing = "modified_bessel_k0_cpu"
    notation = "K0(x)"
    kernel = staticmethod(cephes.k0)


class ModifiedBesselK1(SpecialFunction):
    half_missing = "modified_bessel_k1_cpu"
    notation = "K1(x)"
    kernel = staticmethod(cephes.k1)


class ScaledModifiedBesselK0(SpecialFunction):
    half_missing = "scaled_modified_bessel_k0_cpu"
    notation = "exp(x) K0(x)"
    kernel = staticmethod(cephes.k0e)


class ScaledModifiedBesselK1(SpecialFunction):
    half_missing = "scaled_modified_bessel_k1_cpu"
    notation = "exp(x) K1(x)"
    kernel = staticmethod(cephes.k1e)


class SphericalBesselJ0(SpecialFunction):
    half_missing = "spherical_bessel_j0_cpu"
    notation = "sin(x) / x"
    kernel = staticmethod(cephes.spherical_j0)


class AiryAi(SpecialFunction):
    half_missing = "airy_ai_cpu"
    notation = "Ai(x)"
    kernel = staticmethod(cephes.airy_ai)


def bessel_j0(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind of order 0."""
    return BesselJ0()(input)


def bessel_j1(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind of order 1."""
    return BesselJ1()(input)


def bessel_y0(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind of order 0 (-inf at 0, nan below)."""
    return BesselY0()(input)


def bessel_y1(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind of order 1 (-inf at 0, nan below)."""
    return BesselY1()(input)


def modified_bessel_i0(input: Tensor) -> Tensor:  # noqa: A002
    """``I0`` with no derivative (:func:`chainrule.special.i0` has one), as PyTorch."""
    return ModifiedBesselI0()(input)


def modified_bessel_i1(input: Tensor) -> Tensor:  # noqa: A002
    """``I1`` with no derivative (:func:`chainrule.special.i1` has one), as PyTorch."""
    return ModifiedBesselI1()(input)


def modified_bessel_k0(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind of order 0 (inf at 0, nan below)."""
    return ModifiedBesselK0()(input)


def modified_bessel_k1(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind of order 1 (inf at 0, nan below)."""
    return ModifiedBesselK1()(input)


def scaled_modified_bessel_k0(input: Tensor) -> Tensor:  # noqa: A002
    """``exp(x) K0(x)``, finite where K0 underflows."""
    return ScaledModifiedBesselK0()(input)


def scaled_modified_bessel_k1(input: Tensor) -> Tensor:  # noqa: A002
    """``exp(x) K1(x)``, finite where K1 underflows."""
    return ScaledModifiedBesselK1()(input)


def spherical_bessel_j0(input: Tensor) -> Tensor:  # noqa: A002
    """The spherical Bessel function of the first kind of order 0, ``sin(x) / x`` (1 at 0)."""
    return SphericalBesselJ0()(input)


def airy_ai(input: Tensor) -> Tensor:  # noqa: A002
    """Airy's function ``Ai`` (nan at ±inf, as PyTorch)."""
    return AiryAi()(input)
