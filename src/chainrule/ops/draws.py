"""The graph nodes of random draws from tensor parameters: ``normal(mean, std)``,
``poisson(rates)``, ``bernoulli(p)``.

PyTorch records such a draw when a parameter requires grad (``NormalBackward3``,
``PoissonBackward0``, ``BernoulliBackward0``) and defines its derivative as zero: the draw is not
reparametrized, so no gradient flows back through it, yet the parameters receive zeros (in
their own shapes) rather than nothing, and forward mode gives a zero tangent. The values are
drawn before the node is made (:mod:`chainrule.factories`, which also draws one per example
inside ``vmap``); the node takes the parameters and the drawn values, and returns the latter.

    >>> import chainrule as cr
    >>> mean = cr.tensor([0.0, 10.0], requires_grad=True)
    >>> y = cr.normal(mean, 0.5)
    >>> y.grad_fn.name()
    'NormalBackward1'
    >>> y.sum().backward()
    >>> mean.grad
    tensor([0., 0.])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.op import Op, Picked
from chainrule.ops import dual


class Draw(Op, abstract=True):
    """A draw's node: ``forward(*parameters, drawn)`` is ``drawn``; every derivative is zero.

    The drawn values come last, a tensor that requires no grad (inside ``vmap``, a batched
    one, lined up with the parameters by the broadcasting batch rule)."""

    saves_inputs = False
    batch_rule = staticmethod(batching.elementwise)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The parameters' nodes, as PyTorch lists them: the drawn values are no input of
        its node."""
        return super().next_functions[:-1]

    # (see op.HookInputs): the parameters, not the drawn values
    hook_inputs = Picked(lambda node: tuple(range(len(node.inputs) - 1)))

    def forward(self, *args):
        return args[-1]

    def vjp(self, g, out, *args):
        return tuple(dual.zeros_like(g) if need else None for need in self.needs)

    def jvp(self, tangents, out, *args):
        return dual.zeros_like(out)


class Overwrite(Draw):
    """An in-place fill whose values do not depend on the old ones (``t.normal_()``,
    ``t.bernoulli_(p)``, ``t.random_()``, ``t.fill_(2.0)``, ``t.zero_()``), recorded:
    ``forward(old, *parameters, values)`` is ``values`` in ``old``'s shape and dtype, every
    derivative is zero, and the node has the name PyTorch gives that fill.

    >>> import chainrule as cr
    >>> x = cr.ones(2, requires_grad=True)
    >>> y = (x * 2).normal_()
    >>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
    ('NormalBackward0', 'MulBackward0')
    """

    notation = "overwrite(t, values)"
    derivatives = ("0 (the old values are overwritten)",)

    def __init__(self, fill_name: str) -> None:
        self.fill_name = fill_name

    def default_name(self) -> str:
        return self.fill_name

    def forward(self, old, *args):
        return xp.broadcast_to(args[-1], old.shape).astype(old.dtype)

    def jvp(self, tangents, out, old, *args):
        # PyTorch's rule is ``self_t.zero_()``: zeros where the old values had a tangent, else
        # none, even where a parameter (``bernoulli_``'s ``p``) has one.
        return None if tangents[0] is None else dual.zeros_like(out)


class Normal(Draw):
    """``normal(mean, std)`` with a tensor ``mean``, ``std`` or both: PyTorch's
    ``NormalBackward1``, ``NormalBackward2`` and ``NormalBackward3``."""

    notation = "normal(mean, std)"
    derivatives = ("0 (the draw is a constant of the graph)",)

    def __init__(self, overload: int) -> None:
        self.overload = overload  # 1: tensor mean, 2: tensor std, 3: both

    def default_name(self) -> str:
        return f"NormalBackward{self.overload}"


class Poisson(Draw):
    """``poisson(rates)``: PyTorch's ``PoissonBackward0``."""

    notation = "poisson(rates)"
    derivatives = ("0 (the counts are constants of the graph)",)


class Bernoulli(Draw):
    """``bernoulli(p)`` with tensor probabilities ``p``: PyTorch's ``BernoulliBackward0``.
    With a number ``p`` for every element (``bernoulli(input, p)``), PyTorch records a node
    with no derivative (``NotImplemented``): reaching it raises, in reverse mode and forward
    mode alike."""

    notation = "bernoulli(p)"
    derivatives = ("0 (the draw is a constant of the graph)",)

    def __init__(self, number_p: bool = False) -> None:
        self.number_p = number_p

    def default_name(self) -> str:
        return "chainrule::autograd::NotImplemented" if self.number_p else "BernoulliBackward0"

    def __repr__(self) -> str:
        if self.number_p:
            return f"<NotImplemented object at {hex(id(self))}>"
        return super().__repr__()

    def vjp(self, g, out, *args):
        if self.number_p:
            raise RuntimeError("derivative for aten::bernoulli is not implemented")
        return super().vjp(g, out, *args)

    def jvp(self, tangents, out, *args):
        if self.number_p:
            refuse_forward_mode()
        return super().jvp(tangents, out, *args)


def refuse_forward_mode() -> None:
    """PyTorch's refusal of forward mode through ``bernoulli(input, p)`` (a number ``p``)."""
    raise NotImplementedError(
        "Trying to use forward AD with aten::bernoulli that does not support it."
    )
