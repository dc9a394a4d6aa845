"""Cases a fuzz run of torch.nn against PyTorch found chainrule answering differently: each
runs the same code on both libraries and compares the values, dtypes and gradients, or the
error (its type and first line).

A case is ``case(L, t)``: ``L`` the library (torch or chainrule), ``t(data, dtype, grad)``
its tensor maker; it returns a tensor or a tuple of tensors. Leaves made with ``grad=True``
are compared by their gradients of the outputs' sum.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

Case = Callable[[Any, Callable[..., Any]], Any]


def _outcome(lib: Any, case: Case) -> Any:
    """What ``case`` gives on ``lib``: ("raise", type, first line), or its outputs' dtypes
    and values and its leaves' gradients."""
    leaves: list[Any] = []

    def t(data: Any, dtype: str = "float64", grad: bool = False) -> Any:
        tensor = lib.tensor(np.asarray(data, dtype=dtype), requires_grad=grad)
        if grad:
            leaves.append(tensor)
        return tensor

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = case(lib, t)
            outs = out if isinstance(out, tuple) else (out,)
            if leaves:
                sum(o.sum() for o in outs if o.requires_grad).backward()
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return ("raise", type(error).__name__, str(error).splitlines()[0])
    values = [(str(o.dtype).split(".")[-1], o.detach().numpy()) for o in outs]
    grads = [None if x.grad is None else x.grad.numpy() for x in leaves]
    return ("ok", values, grads)


def _same(case: Case) -> None:
    expected, got = _outcome(torch, case), _outcome(cr, case)
    assert got[0] == expected[0], (expected, got)
    if expected[0] == "raise":  # (a printed Size names its library)
        assert got == (*expected[:2], expected[2].replace("torch.", "chainrule."))
        return
    assert [d for d, _ in got[1]] == [d for d, _ in expected[1]]
    for (_, g), (_, e) in zip(got[1], expected[1], strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12)
    for g, e in zip(got[2], expected[2], strict=True):
        assert (g is None) == (e is None)
        if e is not None:
            assert g.dtype == e.dtype
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12)


def _table(cases: dict[str, Case]) -> Any:
    return pytest.mark.parametrize("case", list(cases.values()), ids=list(cases))


# ------------------------------------------------------------ integers in the default dtype
INTEGER_TO_FLOAT: dict[str, Case] = {
    "exp": lambda L, t: L.exp(t([1, 2, 3], "int64")),
    "sigmoid": lambda L, t: L.sigmoid(t([1, -2, 3], "int64")),
    "tanh": lambda L, t: L.tanh(t([1, -2, 3], "int64")),
    "sin bool": lambda L, t: L.sin(t([True, False], "bool")),
    "erf": lambda L, t: L.erf(t([0, 1], "int64")),
    "F.sigmoid": lambda L, t: L.nn.functional.sigmoid(t([1, 2], "int64")),
    "true divide": lambda L, t: t([1, 2, 3], "int64") / t([2, 2, 2], "int64"),
    "bool times float": lambda L, t: t([True, False], "bool") * 0.5,
    "atan2 bool": lambda L, t: L.atan2(t([True, False], "bool"), t([True, True], "bool")),
    "pow bool float": lambda L, t: t([True, False], "bool") ** 0.5,
    "lp_pool1d": lambda L, t: L.nn.functional.lp_pool1d(t([[[1, 2, 3, 4]]], "int64"), 2, 2),
}


@_table(INTEGER_TO_FLOAT)
def test_integers_compute_in_the_default_dtype(case: Case) -> None:
    for default in ("float32", "float64"):
        torch.set_default_dtype(getattr(torch, default))
        cr.set_default_dtype(getattr(cr, default))
        try:
            _same(case)
        finally:
            torch.set_default_dtype(torch.float32)
            cr.set_default_dtype(cr.float32)


# ------------------------------------------------------------------------ recurrent cells
def _cell(name: str, x_shape: tuple[int, ...], h_shape: tuple[int, ...] | None) -> Case:
    """A (3 -> 2) cell of ``name`` with constant weights, stepped from ``x`` and ``h`` (an
    LSTM's ``(h, h)``)."""

    def case(L: Any, t: Callable[..., Any]) -> Any:
        cell = getattr(L.nn, name)(3, 2).double()
        for p in cell.parameters():
            L.nn.init.constant_(p, 0.1)
        x = t(np.linspace(-1, 1, int(np.prod(x_shape))).reshape(x_shape), grad=True)
        if h_shape is None:
            return cell(x)
        h = t(np.full(h_shape, 0.5), grad=True)
        return cell(x, (h, h * 2) if name == "LSTMCell" else h)

    return case


CELLS: dict[str, Case] = {
    f"{name} x{x} h{h}": _cell(name, x, h)
    for name in ("RNNCell", "GRUCell", "LSTMCell")
    for x, h in [
        ((2, 3), (1,)),
        ((2, 3), (2,)),
        ((2, 3), (1, 2)),
        ((2, 3), (3, 2)),
        ((2, 3), (2, 3)),
        ((3,), (1, 2)),
        ((3,), (1, 1, 2)),
        ((2, 3), (1, 2, 2)),
        ((2, 3), ()),
        ((2, 4), (2, 2)),
        ((4,), (2,)),
    ]
}
CELLS["LSTMCell c batch"] = lambda L, t: L.nn.LSTMCell(3, 2).double()(
    t(np.ones((2, 3))), (t(np.ones((2, 2))), t(np.ones((1, 2))))
)
CELLS["LSTMCell c width"] = lambda L, t: L.nn.LSTMCell(3, 2).double()(
    t(np.ones((2, 3))), (t(np.ones((2, 2))), t(np.ones((2, 3))))
)


@_table(CELLS)
def test_cell_states_are_checked(case: Case) -> None:
    _same(case)


# ------------------------------------------------------------------ dtypes of conv and norms
def _conv(op: str, x: str, w: str, b: str | None) -> Case:
    nd = int(op[-2])
    return lambda L, t: getattr(L.nn.functional, op)(
        t(np.linspace(-1, 1, 2 * 4**nd).reshape((1, 2) + (4,) * nd), x, grad=True),
        t(np.full((2, 2) + (2,) * nd, 0.25), w, grad=True),
        None if b is None else t([0.5, -0.5], b, grad=True),
    )


def _norm(op: str, x: str, *params: str | None) -> Case:
    def case(L: Any, t: Callable[..., Any]) -> Any:
        F = L.nn.functional
        inp = t(np.linspace(-1, 2, 24).reshape(2, 4, 3), x, grad=x != "int64")
        w, b = (
            None if d is None else t(np.linspace(0.5, 1.0, 3 if op == "layer_norm" else 4), d)
            for d in params
        )
        if op == "layer_norm":
            return F.layer_norm(inp, [3], w, b)
        if op == "group_norm":
            return F.group_norm(inp, 2, w, b)
        if op == "instance_norm":
            return F.instance_norm(inp, weight=w, bias=b)
        return F.batch_norm(inp, None, None, w, b, training=True)

    return case


DTYPES: dict[str, Case] = {
    f"{op} {x} {w} {b}": _conv(op, x, w, b)
    for op in (
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    )
    for x, w, b in [
        ("float32", "float64", None),
        ("float64", "float32", None),
        ("float32", "float32", "float64"),
        ("float64", "float64", "float32"),
        ("float32", "float64", "float64"),
    ]
    # (PyTorch's 1-D and 2-D transposed kernels add a float32 bias to float64, as NumPy does)
    if (x, b) != ("float64", "float32") or op in ("conv1d", "conv2d", "conv3d", "conv_transpose3d")
}
DTYPES["Conv2d module float64 on float32"] = lambda L, t: L.nn.Conv2d(2, 2, 3).double()(
    t(np.ones((1, 2, 5, 5)), "float32")
)
DTYPES.update(
    {
        f"{op} {x} {w} {b}": _norm(op, x, w, b)
        for op in ("layer_norm", "group_norm", "instance_norm", "batch_norm")
        for x, w, b in [
            ("float32", "float64", "float64"),
            ("float64", "float32", "float32"),
            ("float32", "float32", "float64"),
            ("float32", "float64", None),
            ("float32", None, "float64"),
            ("int64", None, None),
            ("int64", "float64", None),
        ]
    }
)
DTYPES["batch_norm int64 eval"] = lambda L, t: L.nn.functional.batch_norm(
    t(np.ones((3, 2)), "int64"), t(np.zeros(2)), t(np.ones(2))
)
DTYPES["batch_norm float32, float64 stats"] = lambda L, t: L.nn.functional.batch_norm(
    t(np.ones((3, 2)), "float32"), t(np.zeros(2)), t(np.ones(2))
)
DTYPES["rms_norm int64"] = lambda L, t: L.nn.functional.rms_norm(t(np.ones((2, 4)), "int64"), [4])
DTYPES["rms_norm float32, float64 weight"] = lambda L, t: L.nn.functional.rms_norm(
    t(np.linspace(-1, 1, 8).reshape(2, 4), "float32", grad=True), [4], t(np.ones(4), grad=True)
)


@_table(DTYPES)
def test_mixed_dtypes_as_pytorch(case: Case) -> None:
    _same(case)


# ------------------------------------------------------------------------- linear, 1-D weight
def _linear(x_shape: tuple[int, ...], b_shape: tuple[int, ...] | None, w_len: int = 3) -> Case:
    return lambda L, t: L.nn.functional.linear(
        t(np.arange(np.prod(x_shape), dtype=float).reshape(x_shape), grad=True),
        t(np.arange(w_len) + 1.0, grad=True),
        None if b_shape is None else t(np.full(b_shape, 0.5), grad=True),
    )


LINEAR: dict[str, Case] = {
    f"x{x} b{b}": _linear(x, b)
    for x in [(3,), (2, 3), (4, 2, 3), (5, 4, 2, 3)]
    for b in [None, (), (1,), (2,), (1, 1), (2, 1), (1, 2, 1), (4, 2), (2, 2), (1, 4, 2)]
}
LINEAR["size mismatch"] = _linear((2, 4), None)
LINEAR["0-d input"] = lambda L, t: L.nn.functional.linear(t(2.0), t(np.ones(3)))


@_table(LINEAR)
def test_linear_with_a_vector_weight(case: Case) -> None:
    _same(case)


# ---------------------------------------------------------------------- validation as torch
def _ones(t: Callable[..., Any], *shape: int, grad: bool = False) -> Any:
    return t(np.ones(shape), grad=grad)


VALIDATION: dict[str, Case] = {
    **{
        f"embedding_bag empty {mode} {last}": (
            lambda L, t, mode=mode, last=last: L.nn.functional.embedding_bag(
                t(np.zeros(0), "int64"),
                t(np.linspace(0, 1, 12).reshape(6, 2), grad=True),
                t([0, 0, 0, 0] if last else [0, 0, 0], "int64"),
                mode=mode,
                include_last_offset=last,
            )
        )
        for mode in ("sum", "mean", "max")
        for last in (True, False)
    },
    "embedding_bag 2-D of no columns": lambda L, t: L.nn.functional.embedding_bag(
        t(np.zeros((3, 0)), "int64"), _ones(t, 6, 2)
    ),
    **{
        f"pad circular {p}": (
            lambda L, t, p=p: L.nn.functional.pad(
                # (no gradient: PyTorch's, past the crop, is not its forward's)
                t(np.arange(10.0).reshape(1, 2, 5)),
                p,
                mode="circular",
            )
        )
        for p in [(-3, 4), (-4, 2), (-4, 5)]
    },
    "pad circular repro": lambda L, t: L.nn.functional.pad(
        t(np.arange(6.0).reshape(1, 2, 3)), (-2, 3), mode="circular"
    ),
    "layer_norm bias (1, 4)": lambda L, t: L.nn.functional.layer_norm(
        _ones(t, 2, 4), [4], _ones(t, 4), _ones(t, 1, 4)
    ),
    "layer_norm weight ()": lambda L, t: L.nn.functional.layer_norm(_ones(t, 2, 4), [4], t(1.0)),
    "layer_norm weight (8,) for [2, 4]": lambda L, t: L.nn.functional.layer_norm(
        _ones(t, 2, 4), [2, 4], _ones(t, 8)
    ),
    "layer_norm shape mismatch": lambda L, t: L.nn.functional.layer_norm(_ones(t, 2, 4), [3]),
    "layer_norm 2 dims mismatch": lambda L, t: L.nn.functional.layer_norm(_ones(t, 2, 4), [1, 3]),
    "rms_norm weight (1, 2)": lambda L, t: L.nn.functional.rms_norm(
        _ones(t, 2, 3, 1, 2), [2], _ones(t, 1, 2)
    ),
    "rms_norm weight (1,) for [3]": lambda L, t: L.nn.functional.rms_norm(
        _ones(t, 2, 3), [3], _ones(t, 1)
    ),
    "batch_norm 0-d running_mean": lambda L, t: L.nn.functional.batch_norm(
        _ones(t, 3, 1, 2), t(0.0), _ones(t, 1)
    ),
    "batch_norm running_mean (1, 1)": lambda L, t: L.nn.functional.batch_norm(
        _ones(t, 3, 1, 2), _ones(t, 1, 1), _ones(t, 1), training=True
    ),
    "batch_norm running_var (2,)": lambda L, t: L.nn.functional.batch_norm(
        _ones(t, 3, 1, 2), _ones(t, 1), _ones(t, 2)
    ),
    "batch_norm weight (1,) of 2 channels": lambda L, t: L.nn.functional.batch_norm(
        _ones(t, 3, 2, 2), None, None, _ones(t, 1), training=True
    ),
    "batch_norm bias (3,) of 2 channels": lambda L, t: L.nn.functional.batch_norm(
        _ones(t, 3, 2, 2), None, None, None, _ones(t, 3), training=True
    ),
    "batch_norm momentum None": lambda L, t: L.nn.functional.batch_norm(
        _ones(t, 3, 2), None, None, training=True, momentum=None
    ),
    "instance_norm momentum None": lambda L, t: L.nn.functional.instance_norm(
        _ones(t, 3, 2, 2), momentum=None
    ),
    "instance_norm weight (1, 1)": lambda L, t: L.nn.functional.instance_norm(
        _ones(t, 1, 1, 3), weight=_ones(t, 1, 1)
    ),
    "instance_norm bias (2,)": lambda L, t: L.nn.functional.instance_norm(
        _ones(t, 1, 1, 3), bias=_ones(t, 2)
    ),
    "instance_norm running_mean (2,)": lambda L, t: L.nn.functional.instance_norm(
        _ones(t, 1, 1, 3), _ones(t, 2), _ones(t, 2)
    ),
    "group_norm weight (1, 4)": lambda L, t: L.nn.functional.group_norm(
        _ones(t, 2, 4, 3), 2, _ones(t, 1, 4)
    ),
    "group_norm weight (2,)": lambda L, t: L.nn.functional.group_norm(
        _ones(t, 2, 4, 3), 2, _ones(t, 2)
    ),
    "group_norm bias (4, 1) alone": lambda L, t: L.nn.functional.group_norm(
        _ones(t, 2, 4, 3), 2, None, _ones(t, 4, 1)
    ),
    "group_norm bias (2,)": lambda L, t: L.nn.functional.group_norm(
        _ones(t, 2, 4, 3), 2, _ones(t, 4), _ones(t, 2)
    ),
    **{
        f"{op} empty kernel {w}": (
            lambda L, t, op=op, x=x, w=w: getattr(L.nn.functional, op)(_ones(t, *x), _ones(t, *w))
        )
        for op, x, w in [
            ("conv1d", (1, 2, 5), (2, 2, 0)),
            ("conv2d", (1, 2, 5, 5), (2, 2, 0, 2)),
            ("conv3d", (1, 2, 5, 5, 5), (2, 2, 2, 0, 2)),
            ("conv_transpose1d", (1, 2, 5), (2, 1, 0)),
            ("conv_transpose2d", (1, 2, 5, 5), (2, 1, 2, 0)),
            ("conv_transpose3d", (1, 2, 5, 5, 5), (2, 1, 2, 0, 2)),
        ]
    },
    **{
        f"{op} {shape} p={p} training={training}": (
            lambda L, t, op=op, shape=shape, p=p, training=training: getattr(L.nn.functional, op)(
                _ones(t, *shape), p, training=training
            )
        )
        for op, shape in [("dropout2d", (3,)), ("dropout2d", ()), ("dropout3d", ())]
        for p, training in [(0.0, False), (0.5, False), (1.0, True)]
    },
}


@_table(VALIDATION)
def test_validation_as_pytorch(case: Case) -> None:
    _same(case)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_binary_cross_entropy_in_pytorchs_order(reduction: str) -> None:
    """PyTorch's kernel computes ``(y - 1) max(log1p(-p), -100) - y max(log(p), -100)``, the
    target's gradient as ``-logit(p)``, and the input's as ``g (p - y) / max(p (1 - p), eps)
    * w / N`` in that order; ``log(1 - p)``, ``log(1 - p) - log(p)`` and the derivative times
    ``g`` were off in the last bits (float64: 3.7e-15 relative on the target's gradient,
    half the input's gradients a bit off)."""
    rng = np.random.default_rng(1)
    p = 1 / (1 + np.exp(-rng.normal(size=200) * 6))
    y, w = rng.random(200), rng.random(200) * 2

    def case(L: Any, t: Callable[..., Any]) -> Any:
        return L.nn.functional.binary_cross_entropy(
            t(p, grad=True), t(y, grad=True), weight=t(w), reduction=reduction
        )

    expected, got = _outcome(torch, case), _outcome(cr, case)
    np.testing.assert_allclose(got[1][0][1], expected[1][0][1], rtol=4e-16)
    np.testing.assert_array_equal(got[2][0], expected[2][0])  # the input's: bit for bit
    np.testing.assert_allclose(got[2][1], expected[2][1], rtol=4e-16)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("loss", ["mse_loss", "huber_loss"])
def test_loss_gradients_in_pytorchs_order(loss: str, dtype: str) -> None:
    """mse's input gradient is ``(norm (x - y)) g`` and huber's ``norm d g`` (``norm g delta``
    past delta), ``norm`` 1 / N or 2 / N in the input's dtype, as PyTorch's kernels order
    them; ``g / N`` first rounded otherwise in half of the elements, in every dtype."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=30) * 3, rng.normal(size=30) * 3
    grads = []
    for L in (torch, cr):
        a = L.tensor(x, dtype=getattr(L, dtype), requires_grad=True)
        out = getattr(L.nn.functional, loss)(a, L.tensor(y, dtype=getattr(L, dtype)))
        out.backward(L.full_like(out, -0.875))
        grads.append(a.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
