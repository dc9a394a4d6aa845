"""The recurrent steps, and an LSTM or GRU layer's pass over a sequence as one node.

:func:`step` composes one time step of ops (PyTorch's cells record those nodes: the chunks,
sigmoids, tanhs, products and sums). Over a sequence that is thirteen nodes per LSTM step
and fourteen per GRU step, and the engine's bookkeeping of them was most of a layer's time:
``nn.LSTM(32, 64, num_layers=2)`` over 50 steps of 16 took 14x PyTorch's. PyTorch's CPU
``nn.LSTM`` is one node per layer and direction (``MkldnnRnnLayerBackward0``), and so are
:class:`LSTMLayer` and :class:`GRULayer` here: the forward runs the recurrence in NumPy, and the
vjp is backpropagation through time, the chain rule of one step applied from the last step to
the first:

    LSTM step: a = x_t W_ih^T + b_ih + h W_hh^T + b_hh = [a_i, a_f, a_g, a_o]
               i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g)
               c' = f c + i g,  h' = o tanh(c')
    backward:  dh' (from the output and from the next step), dc' = dc' + dh' o (1 - tanh(c')^2)
               da = [dc' g i (1 - i), dc' c f (1 - f), dc' i (1 - g^2), dh' tanh(c') o (1 - o)]
               dc = dc' f,  dh = da W_hh,  dW_hh = sum over steps of da^T h,  db_hh = sum of da

Every step's ``da`` is the input's gradient too (``a`` is the input's share plus the hidden
state's), and the weight's gradient is one product over all steps, not one per step. The node
keeps the activations its forward computed, as PyTorch's fused kernels keep a "workspace", so
the backward computes no sigmoid or tanh again. The pass and the backward are each written
once, in operations that run on arrays and on Tensors: under ``create_graph`` the backward runs
on Tensors, over the pass recomputed by recorded ops, so a second derivative has its graph.

    >>> import chainrule as cr
    >>> out, (h, c) = cr.nn.LSTM(2, 3)(cr.ones(4, 1, 2))  # 4 steps of a batch of 1
    >>> out.grad_fn.next_functions[0][0].name()  # the outputs are a view of the layer's node
    'LSTMLayerBackward0'
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule._lazy import import_later
from chainrule.autodiff import open_transforms
from chainrule.op import Op
from chainrule.ops import dual, elementwise
from chainrule.ops.nn_ops import linear
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor, _make

func = import_later(globals(), "chainrule.func")  # (above the ops: its jvp runs the pass)


def step(mode: str, x_part: Tensor, h: Tensor, c: Any, w_hh: Tensor, b_hh: Any) -> Any:
    """One time step, composed of ops, from the input's share ``x_part = x W_ih^T + b_ih``:
    ``h'``, or ``(h', c')`` for an LSTM (``mode`` "RNN_TANH", "RNN_RELU", "LSTM" or "GRU")."""
    h_part = linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return elementwise.tanh(x_part + h_part)
    if mode == "RNN_RELU":
        return elementwise.relu(x_part + h_part)
    if mode == "LSTM":
        i, f, g, o = (x_part + h_part).chunk(4, -1)
        c = elementwise.sigmoid(f) * c + elementwise.sigmoid(i) * elementwise.tanh(g)
        return elementwise.sigmoid(o) * elementwise.tanh(c), c
    x_r, x_z, x_n = x_part.chunk(3, -1)
    h_r, h_z, h_n = h_part.chunk(3, -1)
    r = elementwise.sigmoid(x_r + h_r)
    z = elementwise.sigmoid(x_z + h_z)
    n = elementwise.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


# A new array of x's values (a Tensor passes as it is: a pass on Tensors keeps no states).
_copy = dual.both("x.copy()", lambda x: x)
# A stack of the steps' arrays (or Tensors, recorded) along a new first dimension.
_stack = dual.both(xp.stack, stack, "xs", ("*xs",))


def _before(values: Any, first: Any, reverse: bool) -> Any:
    """The value before each step of a layer's pass: ``first`` before the first step run, the
    step's neighbour in ``values`` (T, N, H) before the others (the previous one, or with
    ``reverse`` the next one)."""
    if reverse:
        return dual.concatenate([values[1:], first[None]], 0)
    return dual.concatenate([first[None], values[:-1]], 0)


def _blocks(x: Any, size: int, count: int) -> list[Any]:
    """``x``'s last dimension cut into ``count`` blocks of ``size`` (views, or recorded)."""
    return [x[..., k * size : (k + 1) * size] for k in range(count)]


class _Layer(Op, abstract=True):
    """One recurrent layer in one direction over a sequence, from the input's share of every
    step ``xg = x W_ih^T + b_ih`` (T, N, gates) and the first state. A subclass writes its
    forward pass (``passed``) and its backpropagation through time (``backpropagated``) once,
    in operations that run on arrays (the node's forward and plain backward) and on Tensors
    (recorded: create_graph, vmap of a vjp, forward mode)."""

    # The activations and states, kept on the node: the rules read no output (changing it in
    # place is allowed, as after PyTorch's composite), and no input but h0, c0 and w_hh.
    saves_state = True
    batch_rule = None  # never made under vmap: see one_layer_node

    def __init__(self, reverse: bool) -> None:
        self.reverse = reverse

    def _steps(self, count: int) -> range:
        """The order in which the forward runs the steps."""
        return range(count - 1, -1, -1) if self.reverse else range(count)

    def passed(self, xg: Any, *state_and_weights: Any) -> tuple[Any, tuple[Any, ...]]:
        """The output, and the activations and states the backward reads (each (T, N, H))."""
        raise NotImplementedError

    def backpropagated(self, g: Any, acts: tuple[Any, ...], *inputs: Any) -> Any:
        raise NotImplementedError

    def forward(self, xg, *state_and_weights):
        out, self.acts = self.passed(xg, *state_and_weights)
        return out

    def _vjp_arrays(self, g, out, *inputs):
        return self.backpropagated(g, self.acts, *inputs)

    def release(self) -> None:
        self.acts = None  # (a kept loss must not keep every step's activations alive)

    def _vjp_tensors(self, g, out, *inputs):
        # the pass again, recorded, so that the activations are functions of the inputs
        inputs = tuple(x if isinstance(x, Tensor) else _make(x) for x in inputs)
        return self.backpropagated(g, self.passed(*inputs)[1], *inputs)

    vjp = dual.both(_vjp_arrays, _vjp_tensors, "self, g, out, *inputs", ("g", "*inputs"))

    def jvp(self, tangents, out, *inputs):
        arrays = type(inputs[0]) is xp.ndarray
        primals = tuple(_make(x) if arrays else x for x in inputs)
        given = tuple(
            _make(xp.zeros_like(p._data)) if t is None else (_make(t) if arrays else t)
            for p, t in zip(primals, tangents, strict=True)
        )
        tangent = func.jvp(lambda *xs: self.passed(*xs)[0], primals, given)[1]
        return tangent._data if arrays else tangent


class LSTMLayer(_Layer):
    """An LSTM layer's pass over a sequence (see the module's notes): the output is (T, N, 2H),
    each step's ``[h', c']``, from ``xg`` (T, N, 4H), ``h0`` and ``c0`` (N, H), ``w_hh``
    (4H, H) and ``b_hh`` (4H) if given."""

    notation = "[h', c'] of each step, c' = f c + i g, h' = o tanh(c')"
    derivatives = (
        "da = [dc' g i (1 - i), dc' c f (1 - f), dc' i (1 - g^2), dh' tanh(c') o (1 - o)] "
        "at each step, dc' = dc' + dh' o (1 - tanh(c')^2)",
        "da W_hh of the first step",
        "dc' f of the first step",
        "sum over steps of da^T h",
        "sum over steps of da",
    )

    def forward(self, xg, h0, c0, w_hh, b_hh=None):
        return super().forward(xg, h0, c0, w_hh, b_hh)

    def passed(self, xg, h0, c0, w_hh, b_hh=None):
        size, w_t = h0.shape[-1], dual.swap_last(w_hh)
        pre = xg if b_hh is None else xg + b_hh
        h, c = h0, c0
        steps: list[Any] = [None] * xg.shape[0]
        for t in self._steps(len(steps)):
            a = pre[t] + dual.matmul(h, w_t)
            i, f, _, o = _blocks(dual.sigmoid(a), size, 4)  # (a_g's sigmoid unused)
            g = dual.tanh(a[..., 2 * size : 3 * size])
            c = f * c + i * g  # PyTorch's forget_gate * cx + ingate * cellgate
            tc = dual.tanh(c)
            h = o * tc
            steps[t] = (i, f, g, o, tc, h, c)
        acts = i, f, g, o, tc, h, c = tuple(_stack([s[k] for s in steps]) for k in range(7))
        return dual.concatenate([h, c], -1), acts

    def backpropagated(self, g, acts, xg, h0, c0, w_hh, b_hh=None):
        needs, size = self.needs, h0.shape[-1]
        i, f, gg, o, tc, h, c = acts
        c_before = _before(c, c0, self.reverse)
        # Each step's local derivatives, for every step at once: h' to c', h' to a_o, and c'
        # to a_i, a_f, a_g.
        dh_to_dc = o * dual.one_minus(tc * tc)
        dh_to_da_o = tc * o * dual.one_minus(o)
        dc_to_da_i = gg * i * dual.one_minus(i)
        dc_to_da_f = c_before * f * dual.one_minus(f)
        dc_to_da_g = i * dual.one_minus(gg * gg)
        dh = dc = 0
        das: list[Any] = [None] * xg.shape[0]
        for t in reversed(self._steps(len(das))):  # the chain rule, last step first
            dh = g[t, :, :size] + dh
            dc = g[t, :, size:] + dc + dh * dh_to_dc[t]
            blocks = [dc * dc_to_da_i[t], dc * dc_to_da_f[t], dc * dc_to_da_g[t]]
            das[t] = dual.concatenate([*blocks, dh * dh_to_da_o[t]], -1)
            dc = dc * f[t]
            dh = dual.matmul(das[t], w_hh)
        da = _stack(das)
        flat = da.reshape((-1, da.shape[-1]))
        dw = db = None
        if needs[3]:
            h_before = _before(h, h0, self.reverse)
            dw = dual.matmul(dual.swap_last(flat), h_before.reshape((-1, size)))
        if b_hh is not None and needs[4]:
            db = dual.sum(flat, 0)
        return (da, dh, dc, dw, db)[: 4 + (b_hh is not None)]


class GRULayer(_Layer):
    """A GRU layer's pass over a sequence: the output is (T, N, H), each step's ``h'``, from
    ``xg`` (T, N, 3H), ``h0`` (N, H), ``w_hh`` (3H, H) and ``b_hh`` (3H) if given.

        step:     [x_r, x_z, x_n] = xg_t,  [h_r, h_z, h_n] = h W_hh^T + b_hh
                  r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r h_n)
                  h' = (h - n) z + n      (PyTorch's order of operations)
        backward: da_n = dh' (1 - z) (1 - n^2),  da_r = da_n h_n r (1 - r),
                  da_z = dh' (h - n) z (1 - z),  dxg_t = [da_r, da_z, da_n],
                  dh_part = [da_r, da_z, da_n r],  dh = dh' z + dh_part W_hh
    """

    notation = "h' of each step, h' = (h - n) z + n"
    derivatives = (
        "[da_r, da_z, da_n] at each step, da_n = dh' (1 - z) (1 - n^2), "
        "da_r = da_n h_n r (1 - r), da_z = dh' (h - n) z (1 - z)",
        "dh' z + [da_r, da_z, da_n r] W_hh of the first step",
        "sum over steps of [da_r, da_z, da_n r]^T h",
        "sum over steps of [da_r, da_z, da_n r]",
    )

    def forward(self, xg, h0, w_hh, b_hh=None):
        return super().forward(xg, h0, w_hh, b_hh)

    def passed(self, xg, h0, w_hh, b_hh=None):
        size, w_t = h0.shape[-1], dual.swap_last(w_hh)
        h = h0
        steps: list[Any] = [None] * xg.shape[0]
        for t in self._steps(len(steps)):
            h_part = dual.matmul(h, w_t)
            if b_hh is not None:
                h_part = h_part + b_hh
            x_r, x_z, x_n = _blocks(xg[t], size, 3)
            h_r, h_z, h_n = _blocks(h_part, size, 3)
            r = dual.sigmoid(x_r + h_r)
            z = dual.sigmoid(x_z + h_z)
            n = dual.tanh(x_n + r * h_n)
            h = (h - n) * z + n
            steps[t] = (r, z, n, h_n, h)
        acts = tuple(_stack([s[k] for s in steps]) for k in range(5))
        return _copy(acts[-1]), acts  # (the states the node keeps are not the output's memory)

    def backpropagated(self, g, acts, xg, h0, w_hh, b_hh=None):
        needs, size = self.needs, h0.shape[-1]
        r, z, n, h_n, h = acts
        h_before = _before(h, h0, self.reverse)
        # each step's local derivatives, for every step at once
        dh_to_da_n = dual.one_minus(z) * dual.one_minus(n * n)
        da_n_to_da_r = h_n * r * dual.one_minus(r)
        dh_to_da_z = (h_before - n) * z * dual.one_minus(z)
        dh = 0
        dxs: list[Any] = [None] * xg.shape[0]
        dh_parts: list[Any] = [None] * xg.shape[0]
        for t in reversed(self._steps(len(dxs))):  # the chain rule, last step first
            dh = g[t] + dh
            da_n = dh * dh_to_da_n[t]
            da_r, da_z = da_n * da_n_to_da_r[t], dh * dh_to_da_z[t]
            dxs[t] = dual.concatenate([da_r, da_z, da_n], -1)
            dh_parts[t] = dual.concatenate([da_r, da_z, da_n * r[t]], -1)
            dh = dh * z[t] + dual.matmul(dh_parts[t], w_hh)
        flat = _stack(dh_parts).reshape((-1, xg.shape[-1]))
        dw = db = None
        if needs[2]:
            dw = dual.matmul(dual.swap_last(flat), h_before.reshape((-1, size)))
        if b_hh is not None and needs[3]:
            db = dual.sum(flat, 0)
        return (_stack(dxs), dh, dw, db)[: 3 + (b_hh is not None)]


_LAYERS = {"LSTM": LSTMLayer, "GRU": GRULayer}


def one_layer_node(mode: str, x: Tensor, projected: bool) -> bool:
    """Whether a layer of ``mode`` runs over the sequence-first input ``x`` (of at least one
    step: ``nn.RNNBase._layers`` refuses none) as one node: an LSTM (without projection) or a
    GRU, over a float32 or float64 input of at least one example, outside vmap and forward
    mode, whose rules the steps' ops have (as ``layer_norm``'s one node)."""
    if mode not in _LAYERS or projected or open_transforms.here.vmap or open_transforms.here.dual:
        return False
    return x._data.dtype in dtypes.SINGLE_AND_DOUBLE and x.shape[1] > 0


def layer(
    mode: str, xg: Tensor, state: tuple[Tensor, ...], w_hh: Tensor, b_hh: Any, reverse: bool
) -> Tensor:
    """The :class:`LSTMLayer` or :class:`GRULayer` node over ``xg`` from ``state`` (``(h0,)``
    or ``(h0, c0)``), run backwards in time with ``reverse``."""
    weights = (w_hh,) if b_hh is None else (w_hh, b_hh)
    return _LAYERS[mode](reverse)(xg, *state, *weights)
