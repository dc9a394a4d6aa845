"""Recurrent layers, ``RNN``, ``LSTM`` and ``GRU``, and their one-step cells, with PyTorch's
parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``...), gate order and shapes, so state
dicts interchange. The recurrences are written with linear maps and activations: backward
through time is the chain rule over the unrolled loop.

    >>> import chainrule as cr
    >>> lstm = cr.nn.LSTM(3, 5, num_layers=2, batch_first=True)
    >>> out, (h, c) = lstm(cr.ones(4, 7, 3))
    >>> tuple(out.shape), tuple(h.shape), tuple(c.shape)
    ((4, 7, 5), (2, 4, 5), (2, 4, 5))
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import arguments, factories
from chainrule._array import xp
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.nn.utils.rnn import PackedSequence, pad_packed_sequence
from chainrule.ops import recurrent
from chainrule.ops.shape import cat, stack
from chainrule.tensor import Tensor

# Gates per step: RNN has one map, LSTM four (input, forget, cell, output), GRU three
# (reset, update, new).
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step(
    mode: str, x_part: Tensor, h: Tensor, c: Any, w_hh: Tensor, b_hh: Any, w_hr: Any = None
) -> Any:
    """One time step, composed of ops (:func:`~chainrule.ops.recurrent.step`), from the
    input's share ``x_part = x W_ih^T + b_ih``; returns ``h'`` (and ``c'`` for an LSTM, whose
    ``h'`` is projected by ``w_hr`` when given)."""
    result = recurrent.step(mode, x_part, h, c, w_hh, b_hh)
    if w_hr is None:
        return result
    h, c = result
    return F.linear(h, w_hr), c


def _reset_uniform(module: Module, hidden_size: int) -> None:
    """PyTorch's default: every weight and bias from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """PyTorch's base of the cells, with its arguments: ``num_chunks`` gates of
    ``hidden_size`` in each weight (a subclass's ``mode`` says how a step uses them)."""

    mode = ""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(factories.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(factories.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(factories.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(factories.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"
        return text

    def _run(self, input: Tensor, state: Any) -> Any:  # noqa: A002
        """``state`` is ``h`` (or ``(h, c)``), zeros when None; unbatched (H_in,) inputs
        give unbatched states."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if state is not None:
            _check_state_ranks(name, state, self.mode == "LSTM")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        zeros = factories.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        if state is None:
            state = (zeros, zeros) if self.mode == "LSTM" else zeros
        elif unbatched:
            state = (
                tuple(s.unsqueeze(0) for s in state) if self.mode == "LSTM" else state.unsqueeze(0)
            )
        h, c = state if self.mode == "LSTM" else (state, None)
        self._check_step(x, (h,) if c is None else (h, c))
        x_part = F.linear(x, self.weight_ih, self.bias_ih)
        out = _step(self.mode, x_part, h, c, self.weight_hh, self.bias_hh)
        if unbatched:
            return tuple(t.squeeze(0) for t in out) if self.mode == "LSTM" else out.squeeze(0)
        return out

    def _check_step(self, x: Tensor, states: tuple[Tensor, ...]) -> None:
        """PyTorch's checks of a batched step (``x`` 2-D; each state 2-D where valid, but
        an unbatched input's 2-D state came here 3-D, and a batched input's may be 1-D)."""
        if x.shape[1] != self.weight_ih.shape[1]:
            raise RuntimeError(
                f"input has inconsistent input_size: got {x.shape[1]} "
                f"expected {self.weight_ih.shape[1]}"
            )
        for label, s in enumerate(states):
            if s.shape[0] != x.shape[0]:
                raise RuntimeError(
                    f"Input batch size {x.shape[0]} doesn't match hidden{label} batch size "
                    f"{s.shape[0]}"
                )
            width = s.shape[arguments.wrap_dim(1, s.ndim)]
            if width != self.weight_hh.shape[1]:
                raise RuntimeError(
                    f"hidden{label} has inconsistent hidden_size: got {width}, "
                    f"expected {self.weight_hh.shape[1]}"
                )


def _check_state_ranks(name: str, state: Any, lstm: bool) -> None:
    """PyTorch's refusal of a cell state that is neither 1-D nor 2-D: an LSTM's ``(h, c)``
    names each ``hx[i]``, the other cells' one state is ``hidden``."""
    labelled = [(f"hx[{i}]", s) for i, s in enumerate(state)] if lstm else [("hidden", state)]
    for label, s in labelled:
        if s.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.ndim}D instead")


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    mode = "RNN_TANH"  # relu has as many gates; the instance's own mode is set below

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        mode = _rnn_mode(nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.mode = mode
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._run(input, hx)


class _GatedCell(RNNCellBase):
    """A cell with PyTorch's LSTMCell/GRUCell arguments: as many gates as its ``mode``'s."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, _GATES[self.mode], device, dtype)


class LSTMCell(_GatedCell):
    """One LSTM step: returns ``(h', c')``."""

    mode = "LSTM"

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        return self._run(input, hx)


class GRUCell(_GatedCell):
    """One GRU step: returns ``h'``."""

    mode = "GRU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._run(input, hx)


def _rnn_mode(nonlinearity: str) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


# ----------------------------------------------------------------------------- sequences
class RNNBase(Module):
    """PyTorch's base of the recurrent layers, with its arguments: ``mode`` ("RNN_TANH",
    "RNN_RELU", "LSTM" or "GRU") first."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gates = _GATES[self.mode] * hidden_size
        directions = 2 if bidirectional else 1
        # Registered in PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh and
        # an LSTM's projection w_hr, whose output is the state h and the next layer's input.
        for layer in range(num_layers):
            width = input_size if layer == 0 else self._state_size * directions
            for suffix in self._suffixes(layer):
                shapes = [("weight_ih", (gates, width)), ("weight_hh", (gates, self._state_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                for name, shape in shapes:
                    param = Parameter(factories.empty(*shape, dtype=dtype))
                    setattr(self, name + suffix, param)
        self.reset_parameters()

    @property
    def _state_size(self) -> int:
        """The size of the state h (and of each direction's output): ``proj_size`` if set."""
        return self.proj_size or self.hidden_size

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch code that calls it (cuDNN's weight layout)."""

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        """``input`` is (L, N, H_in), (N, L, H_in) with ``batch_first``, unbatched (L, H_in),
        or a :class:`~chainrule.nn.utils.rnn.PackedSequence` (then so is the output); ``hx``
        is (layers * directions, N, H) (a pair of them for an LSTM)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.ndim not in (2, 3):
            kind = " tensor" if self.mode.startswith("RNN") else ""  # (only RNN's says it)
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D"
                f"{kind} instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )
        weight = self.weight_ih_l0  # PyTorch compares with its first weight
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        unbatched = input.ndim == 2
        x = (
            input.unsqueeze(1)
            if unbatched
            else (input.transpose(0, 1) if self.batch_first else input)
        )
        states = self._initial_states(hx, x, unbatched)
        x, h_n = self._layers(x, states)
        out = x.squeeze(1) if unbatched else (x.transpose(0, 1) if self.batch_first else x)
        if unbatched:
            h_n = [h.squeeze(1) for h in h_n]
        return out, (tuple(h_n) if self.mode == "LSTM" else h_n[0])

    def _layers(self, x: Tensor, states: tuple[Tensor, ...]) -> tuple[Tensor, list[Tensor]]:
        """Every layer over sequence-first ``x`` from ``states``: the last layer's (L, N, H)
        outputs and the final states, stacked over layers and directions."""
        if x.shape[0] == 0:  # (the modules' and the functional layers' own check, PyTorch's)
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        finals: list[Any] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * len(self._suffixes(layer)) + direction
                state = tuple(s[index] for s in states)
                seq, last = self._run_direction(x, state, suffix, reverse=direction == 1)
                outputs.append(seq)
                finals.append(last)
            x = outputs[0] if len(outputs) == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, [stack([f[k] for f in finals]) for k in range(len(states))]

    def _forward_packed(self, packed: PackedSequence, hx: Any) -> tuple[PackedSequence, Any]:
        """The layers over a packed batch. The sequences of each length run together as one
        plain batch of that many steps, so none ever reads padding and each final state is
        its own sequence's; the outputs are packed as the input was, the final states put
        back in the batch's order. (Dropout between layers then draws per group of lengths,
        not PyTorch's one mask.)"""
        padded, lengths = pad_packed_sequence(packed)
        states = self._initial_states(hx, padded, unbatched=False)
        groups: dict[int, list[int]] = {}
        for i, n in enumerate(lengths.tolist()):
            groups.setdefault(n, []).append(i)
        outputs, finals, order = [], [], []
        for n, members in groups.items():
            rows = factories.tensor(members)
            x, h_n = self._layers(
                padded[:n].index_select(1, rows), tuple(s.index_select(1, rows) for s in states)
            )
            steps_left = padded.shape[0] - n
            filler = factories.zeros(steps_left, len(members), x.shape[2], dtype=x.dtype)
            outputs.append(cat([x, filler]) if steps_left else x)
            finals.append(h_n)
            order += members
        back = factories.tensor(xp.argsort(xp.asarray(order)))  # group order -> batch order
        out = cat(outputs, 1).index_select(1, back)
        if packed.sorted_indices is not None:
            out = out.index_select(1, packed.sorted_indices)
        data = cat([out[t, :size] for t, size in enumerate(packed.batch_sizes.tolist())])
        h_n = [cat([f[k] for f in finals], 1).index_select(1, back) for k in range(len(states))]
        output = packed._replace(data=data)
        return output, (tuple(h_n) if self.mode == "LSTM" else h_n[0])

    def _initial_states(self, hx: Any, x: Tensor, unbatched: bool) -> tuple[Tensor, ...]:
        """``hx`` checked as PyTorch checks it (its messages), or zeros; sequence-first."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        sizes = [self._state_size] + ([self.hidden_size] if self.mode == "LSTM" else [])
        if hx is None:
            return tuple(factories.zeros(count, x.shape[1], n, dtype=x.dtype) for n in sizes)
        # An LSTM's (h, c) is read as PyTorch reads it, hx[0] and hx[1]: a tensor in its place
        # is taken apart along its first dimension, a 1-tuple is refused by its indexing.
        given = (hx[0], hx[1]) if self.mode == "LSTM" else (hx,)
        dims = 2 if unbatched else 3
        if any(h.dim() != dims for h in given):  # (a list for hx fails here, as in PyTorch)
            names = "hx and cx" if self.mode == "LSTM" else "hx"
            found = ", ".join(f"{h.ndim}-D" for h in given)
            found = f"({found}) tensors" if self.mode == "LSTM" else f"{found} tensor"
            raise RuntimeError(
                f"For {'unbatched 2-D' if unbatched else 'batched 3-D'} input, {names} should "
                f"also be {dims}-D but got {found}"
            )
        if unbatched:
            given = tuple(h.unsqueeze(1) for h in given)
        for k, (h, n) in enumerate(zip(given, sizes, strict=True)):
            expected = (count, x.shape[1], n)
            if tuple(h.shape) != expected:
                which = f"hidden[{k}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {which} size {expected}, got {list(h.shape)}")
        return given

    def _run_direction(
        self, x: Tensor, state: tuple[Tensor, ...], suffix: str, reverse: bool
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        """One layer in one direction over sequence-first ``x``: the (L, N, H) outputs and
        the final state."""
        w_hh = getattr(self, "weight_hh" + suffix)
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        w_hr = getattr(self, "weight_hr" + suffix) if self.proj_size else None
        # The input's share of every step in one matrix product.
        x_parts = F.linear(x, getattr(self, "weight_ih" + suffix), b_ih)
        if recurrent.one_layer_node(self.mode, x, w_hr is not None):
            out = recurrent.layer(self.mode, x_parts, state, w_hh, b_hh, reverse)
            last = 0 if reverse else -1
            if self.mode == "GRU":
                return out, (out[last],)
            size = state[0].shape[-1]
            return out[..., :size], (out[last, :, :size], out[last, :, size:])
        x_parts = x_parts.unbind(0)
        h, c = state[0], state[1] if self.mode == "LSTM" else None
        outputs = []
        for t in reversed(range(len(x_parts))) if reverse else range(len(x_parts)):
            result = _step(self.mode, x_parts[t], h, c, w_hh, b_hh, w_hr)
            h, c = result if self.mode == "LSTM" else (result, None)
            outputs.append(h)
        if reverse:
            outputs.reverse()
        return stack(outputs), ((h, c) if self.mode == "LSTM" else (h,))


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    Arguments as PyTorch's: ``(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _refuse_projection(kwargs)
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:  # PyTorch's position of nonlinearity, between num_layers and bias
            nonlinearity, args = args[3], args[:3] + args[4:]
        super().__init__(_rnn_mode(nonlinearity), *args, **kwargs)
        self.nonlinearity = nonlinearity


def _refuse_projection(kwargs: dict[str, Any]) -> None:
    """PyTorch's refusal of ``proj_size`` (even 0) given by name to an RNN or a GRU."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``. With ``proj_size > 0`` each
    step's ``h`` is projected to that size by ``weight_hr_l{k}`` (PyTorch's LSTM with
    projections): ``h_n`` and the outputs have ``proj_size`` features, ``c_n`` ``hidden_size``.

    >>> import chainrule as cr
    >>> out, (h, c) = cr.nn.LSTM(3, 5, proj_size=2)(cr.ones(4, 3))
    >>> tuple(out.shape), tuple(h.shape), tuple(c.shape)
    ((4, 2), (1, 2), (1, 5))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``output, h_n``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _refuse_projection(kwargs)
        super().__init__("GRU", *args, **kwargs)
