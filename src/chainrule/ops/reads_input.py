"""Gradients recorded as depending on an input that PyTorch's backward kernel reads.

PyTorch runs many functions as one kernel whose backward reads the input:
``adaptive_avg_pool2d_backward(grad, self)``, ``reflection_pad2d_backward(grad, self, pad)``,
``convolution_backward(grad, input, weight, ...)``. Under ``create_graph`` the gradient such a
backward returns is recorded as a function of ``self``, so it requires grad even where the
function is linear in ``self``. Two kinds follow, by what PyTorch's double backward then gives
``self``:

* zeros (pooling, padding, prelu, nll_loss): a gradient penalty through adaptive average
  pooling runs, ``hessian(strict=True)`` gives zeros. :func:`chainrule.ops.dual.attached`
  records this, and :func:`reads_input` at the entrance of a composite (built from ops whose
  rules do not read the input) gives its input's gradient the same dependence;
* no gradient at all (convolution, batch norm in evaluation, grid_sample): differentiating
  again in ``self`` is refused as "not used in the graph", and ``hessian(strict=True)`` calls
  the output independent of the input. :func:`marked` records this (:class:`Marked`), and
  ``reads_input(x, zeros=False)`` for a composite.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> g, = cr.autograd.grad((reads_input(x) * 3).sum(), x, create_graph=True)
    >>> g.requires_grad, g.tolist()
    (True, [3.0, 3.0])
"""

from __future__ import annotations

from typing import Any

from chainrule import grad_mode
from chainrule.autodiff import batching
from chainrule.op import Op
from chainrule.ops import dual
from chainrule.tensor import Tensor


class ReadsInput(Op):
    """``x`` itself; its vjp records the gradient as depending on ``x`` (see the module)."""

    notation = "x"
    derivatives = ("1 (the gradient recorded as depending on x)",)
    batch_rule = staticmethod(batching.elementwise)
    vjp_broadcasts = True
    is_view = True  # an alias, as view_as: no copy

    def __init__(self, zeros: bool = True) -> None:
        self.zeros = zeros

    def forward(self, x):
        return x.view()

    def vjp(self, g, out, x):
        return ((dual.attached if self.zeros else marked)(g, x),)

    def jvp(self, tangents, out, x):
        return tangents[0]


def reads_input(x: Tensor, zeros: bool = True) -> Tensor:
    """``x``, through a :class:`ReadsInput` node where a gradient of it may be recorded; with
    ``zeros`` False, its gradient is :func:`marked` rather than attached."""
    if not (x.requires_grad and grad_mode.modes.enabled):
        return x
    return ReadsInput(zeros)(x)


class Marked(Op):
    """``grad`` itself, recorded as a function of ``source`` that passes ``source`` no
    gradient: PyTorch's double backward of a convolution in its input (see the module)."""

    notation = "grad"
    derivatives = ("1", "none (PyTorch's double backward gives source no gradient)")
    batch_rule = staticmethod(batching.elementwise)
    saves_inputs = False

    def forward(self, grad, source):
        return grad.copy()  # not a view: a view's rules replay it from grad alone

    def vjp(self, g, out, grad, source):
        return (g, None)

    def jvp(self, tangents, out, grad, source):
        return tangents[0]


def _marked_tensors(grad: Any, source: Any) -> Any:
    if not (isinstance(source, Tensor) and source.requires_grad and grad_mode.modes.enabled):
        return grad
    return Marked()(grad, source)


#: ``grad`` on arrays; on Tensors recorded as :class:`Marked` by ``source``.
marked = dual.both("grad", _marked_tensors, "grad, source", ("grad", "source"))
