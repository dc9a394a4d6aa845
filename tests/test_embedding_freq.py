"""``scale_grad_by_freq`` (and ``padding_idx``) of embeddings against PyTorch: each check runs
the same function on chainrule and on torch and compares every tensor it returns.

PyTorch's rule lives in the backward pass only: the gradient each pick sends to its row is
divided by the number of times the input picks that row, and picks at ``padding_idx`` send
none. The values and the jvp are the plain lookup's; the double backward is the unscaled
lookup; under vmap each example counts its own picks. ``embedding_bag`` follows the
documented rule, which PyTorch's CPU kernel (2.13) breaks for some inputs
(pytorch/pytorch#190063): those are compared with hand-computed values instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as CF

RNG = np.random.default_rng(0)
TABLE = RNG.standard_normal((6, 3))
INDEX = np.array([[0, 1, 1, 5], [3, 1, 0, 5]])  # 1 three times, 0 and 5 twice, 3 once
GRAD = RNG.standard_normal((2, 4, 3))
PADDINGS = [None, 1, -1]  # -1 is row 5, counted from the end

Check = Callable[[Any, Any], Any]


def _arrays(result: Any) -> list[Any]:
    """The tensors (and plain values) of a result, flattened, as NumPy arrays."""
    if isinstance(result, tuple | list):
        return [a for part in result for a in _arrays(part)]
    if hasattr(result, "detach"):
        return [result.detach().numpy()]
    return [np.asarray(result)]


def agree(check: Check, rtol: float = 1e-12) -> None:
    """``check(lib, F)`` on chainrule and on torch: the same arrays (dtype, shape, values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vmap's note on looping over examples
        ours, theirs = _arrays(check(cr, CF)), _arrays(check(torch, TF))
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.dtype == b.dtype and a.shape == b.shape, f"result {i}"
        if a.dtype.kind == "U":  # names and reprs
            assert a.tolist() == b.tolist(), f"result {i}"
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol, err_msg=f"result {i}")


def _lookup(lib: Any, F: Any, padding_idx: int | None) -> Any:
    return lambda w: F.embedding(lib.tensor(INDEX), w, padding_idx, scale_grad_by_freq=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("padding_idx", PADDINGS)
def test_values_gradients_and_node_as_pytorch(padding_idx: int | None, dtype: str) -> None:
    def check(lib: Any, F: Any) -> Any:
        w = lib.tensor(TABLE, dtype=getattr(lib, dtype), requires_grad=True)
        out = _lookup(lib, F, padding_idx)(w)
        out.backward(lib.tensor(GRAD, dtype=getattr(lib, dtype)))
        return out, w.grad, out.grad_fn.name()

    # float32: PyTorch fuses each multiply-add, a rounding apart from a product then a sum
    agree(check, 1e-12 if dtype == "float64" else 1e-6)


def test_without_repeats_or_padding_the_gradient_is_the_plain_lookups() -> None:
    def check(lib: Any, F: Any) -> Any:
        w = lib.tensor(TABLE, requires_grad=True)
        F.embedding(lib.tensor([4, 0, 2]), w, scale_grad_by_freq=True).sum().backward()
        return w.grad

    agree(check)


@pytest.mark.parametrize("padding_idx", PADDINGS)
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_jvp_is_the_plain_lookup_of_the_tangent(
    padding_idx: int | None, scale_grad_by_freq: bool
) -> None:
    tangent = RNG.standard_normal(TABLE.shape)

    def check(lib: Any, F: Any) -> Any:
        def f(w: Any) -> Any:
            return F.embedding(lib.tensor(INDEX), w, padding_idx, None, 2.0, scale_grad_by_freq)

        return lib.func.jvp(f, (lib.tensor(TABLE),), (lib.tensor(tangent),))

    agree(check)


@pytest.mark.parametrize("padding_idx", PADDINGS)
def test_vmap_of_grad_counts_each_examples_picks(padding_idx: int | None) -> None:
    def check(lib: Any, F: Any) -> Any:
        def loss(w: Any, index: Any) -> Any:
            return (F.embedding(index, w, padding_idx, scale_grad_by_freq=True) ** 3).sum()

        grad = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0))
        return grad(lib.tensor(TABLE), lib.tensor(INDEX))

    agree(check)


@pytest.mark.parametrize("in_dim", [0, 2])
@pytest.mark.parametrize("padding_idx", PADDINGS)
def test_vmap_over_tables_counts_the_whole_input(padding_idx: int | None, in_dim: int) -> None:
    tables = np.moveaxis(RNG.standard_normal((3, *TABLE.shape)), 0, in_dim).copy()

    def check(lib: Any, F: Any) -> Any:
        grad = lib.func.grad(lambda w: (_lookup(lib, F, padding_idx)(w) ** 3).sum())
        return lib.func.vmap(grad, in_dims=in_dim)(lib.tensor(tables))

    agree(check)


@pytest.mark.parametrize("padding_idx", PADDINGS)
def test_vmap_over_cotangents_jacrev_and_jacfwd(padding_idx: int | None) -> None:
    cotangents = RNG.standard_normal((3, *GRAD.shape))

    def check(lib: Any, F: Any) -> Any:
        f = _lookup(lib, F, padding_idx)
        _, pullback = lib.func.vjp(f, lib.tensor(TABLE))
        pulled = lib.func.vmap(pullback)(lib.tensor(cotangents))
        return pulled, lib.func.jacrev(f)(lib.tensor(TABLE)), lib.func.jacfwd(f)(lib.tensor(TABLE))

    agree(check)


@pytest.mark.parametrize("padding_idx", PADDINGS)
def test_second_order_is_pytorchs_double_backward(padding_idx: int | None) -> None:
    weights = np.arange(18.0).reshape(6, 3)

    def check(lib: Any, F: Any) -> Any:
        w = lib.tensor(TABLE, requires_grad=True)
        f = _lookup(lib, F, padding_idx)
        (first,) = lib.autograd.grad((f(w) ** 3).sum(), w, create_graph=True)
        (first**2).sum().backward()
        v = lib.tensor(GRAD, requires_grad=True)
        (by_v,) = lib.autograd.grad(f(w), w, v, create_graph=True)
        (double,) = lib.autograd.grad((by_v * lib.tensor(weights)).sum(), v)
        hessian = lib.func.hessian(lambda t: (f(t) ** 3).sum())(lib.tensor(TABLE))
        return first, w.grad, double, by_v.grad_fn.name(), hessian

    agree(check)


@pytest.mark.parametrize("padding_idx", PADDINGS)
def test_forward_over_reverse_is_the_scaled_scatter_of_the_tangent(
    padding_idx: int | None,
) -> None:
    def check(lib: Any, F: Any) -> Any:
        def pullback(v: Any) -> Any:
            return lib.func.vjp(_lookup(lib, F, padding_idx), lib.tensor(TABLE))[1](v)[0]

        return lib.func.jvp(pullback, (lib.tensor(GRAD),), (lib.tensor(2 * GRAD + 1),))

    agree(check)


def test_max_norm_and_repeated_calls_count_per_call() -> None:
    def check(lib: Any, F: Any) -> Any:
        w = lib.tensor(3 * TABLE, requires_grad=True)
        first = F.embedding(lib.tensor(INDEX), w, max_norm=1.0, scale_grad_by_freq=True)
        second = F.embedding(lib.tensor([2, 2, 0]), w, max_norm=1.0, scale_grad_by_freq=True)
        (first.sum() + (2 * second).sum()).backward()
        return first, second, w, w.grad

    agree(check)


def test_a_single_index_no_index_and_nan_at_padding() -> None:
    def check(lib: Any, F: Any) -> Any:
        w = lib.tensor(TABLE, requires_grad=True)
        F.embedding(lib.tensor(2), w, scale_grad_by_freq=True).sum().backward()
        single = w.grad
        w.grad = None
        empty = F.embedding(lib.tensor([], dtype=lib.int64), w, 0, scale_grad_by_freq=True)
        empty.sum().backward()
        none = w.grad
        w.grad = None
        out = F.embedding(lib.tensor(INDEX), w, padding_idx=1, scale_grad_by_freq=True)
        g = lib.tensor(GRAD)
        g[0, 1] = float("nan")  # at padding_idx: it reaches no row
        out.backward(g)
        return single, empty, none, w.grad

    agree(check)


def test_modules_pass_the_flag_and_show_it() -> None:
    def check(lib: Any, F: Any) -> Any:
        lib.manual_seed(0)
        table = lib.nn.Embedding(6, 3, padding_idx=0, scale_grad_by_freq=True)
        table(lib.tensor(INDEX)).sum().backward()
        bag = lib.nn.EmbeddingBag(6, 3, mode="sum", scale_grad_by_freq=True)
        bag(lib.tensor([[2, 2, 3], [3, 3, 2]])).sum().backward()
        shown = [repr(table), repr(bag), repr(lib.nn.Embedding(6, 3, scale_grad_by_freq=0))]
        return table.weight.grad, bag.weight.grad, np.array(shown)

    agree(check)


# ----------------------------------------------------------------------------- embedding_bag
# Inputs where PyTorch's CPU kernel divides by each row's own count (a repeated index never
# sorts before one seen fewer times), so its numbers are the documented ones.
BAGS = [
    ([0, 1, 1, 3, 3, 2, 2], [0, 3, 5], {"mode": "sum"}),
    ([0, 1, 1, 3, 3, 2, 2], [0, 3, 5], {"mode": "mean"}),
    ([0, 1, 1, 3, 3, 2, 2], [0, 3, 5], {"mode": "mean", "padding_idx": 3}),
    ([0, 1, 1, 3, 3, 2, 2], [0, 3, 5], {"mode": "sum", "per_sample_weights": True}),
    ([[4, 4, 5], [5, 4, 5]], None, {"mode": "mean"}),
    ([2, 3, 2, 3, 0], [0, 2], {"mode": "sum"}),  # counted across bags
    ([1, 1, 2, 2], [0, 2, 2, 4], {"mode": "sum", "include_last_offset": True}),
]


def _bags(lib: Any, F: Any, index: Any, offsets: Any, options: dict[str, Any]) -> Any:
    options = dict(options)
    w = lib.tensor(TABLE, requires_grad=True)
    scales = None
    if options.pop("per_sample_weights", False):
        scales = lib.linspace(0.1, 0.9, len(index), dtype=lib.float64, requires_grad=True)
    out = F.embedding_bag(
        lib.tensor(index),
        w,
        None if offsets is None else lib.tensor(offsets),
        scale_grad_by_freq=True,
        per_sample_weights=scales,
        **options,
    )
    out.backward(lib.arange(float(out.numel()), dtype=lib.float64).reshape(out.shape) - 2)
    return out, w.grad, scales.grad if scales is not None else np.zeros(0)


@pytest.mark.parametrize(("index", "offsets", "options"), BAGS)
def test_embedding_bag_as_pytorch(index: Any, offsets: Any, options: dict[str, Any]) -> None:
    agree(lambda lib, F: _bags(lib, F, index, offsets, options))


def test_embedding_bag_divides_by_each_rows_own_count() -> None:
    # PyTorch 2.13's CPU kernel gives row 3 a half here (row 1's count): pytorch/pytorch#190063
    w = cr.ones(4, 2, requires_grad=True)
    out = CF.embedding_bag(
        cr.tensor([1, 1, 3]), w, cr.tensor([0]), mode="sum", scale_grad_by_freq=True
    )
    out.sum().backward()
    assert w.grad[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0]
    w.grad = None
    out = CF.embedding_bag(
        cr.tensor([1, 1, 3, 0]), w, cr.tensor([0, 3]), mode="mean", scale_grad_by_freq=True
    )
    out.sum().backward()
    # row 1: two picks of 1/3 each (mean of a bag of 3), halved; row 3: 1/3; row 0: 1
    assert w.grad[:, 0].tolist() == pytest.approx([1.0, 1 / 3, 0.0, 1 / 3])


def _error(f: Callable[[], Any]) -> tuple[str, str]:
    try:
        f()
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return type(error).__name__, str(error).replace("torch", "chainrule")
    return "no error", ""


def test_embedding_bag_max_mode_refuses_the_flag_where_pytorch_does() -> None:
    def check(lib: Any, F: Any) -> Any:
        w, index, offsets = lib.ones(5, 3), lib.tensor([0, 1, 1]), lib.tensor([0, 2])
        errors = [
            lambda: F.embedding_bag(index, w, offsets, mode="max", scale_grad_by_freq=True),
            lambda: F.embedding_bag(index.float(), w, offsets, mode="max", scale_grad_by_freq=True),
            lambda: F.embedding_bag(index, w[0], offsets, mode="max", scale_grad_by_freq=True),
            lambda: F.embedding_bag(index, w, None, mode="max", scale_grad_by_freq=True),
            lambda: F.embedding_bag(
                index, w, offsets, mode="max", scale_grad_by_freq=True, per_sample_weights=w[0]
            ),
        ]
        bag = lib.nn.EmbeddingBag(5, 3, mode="max", scale_grad_by_freq=True)  # made, refused
        errors.append(lambda: bag(index, offsets))
        return np.array([_error(f) for f in errors])

    ours, theirs = check(cr, CF), check(torch, TF)
    assert ours.tolist() == theirs.tolist()


def test_toplevel_functions_take_the_flag_as_aten() -> None:
    def check(lib: Any, F: Any) -> Any:
        w = lib.tensor(TABLE, requires_grad=True)
        lib.embedding(w, lib.tensor(INDEX), 1, True).sum().backward()
        lookup = w.grad
        w.grad = None
        # ATen's max mode ignores the flag
        lib.embedding_bag(w, lib.tensor([0, 1, 1]), lib.tensor([0, 2]), True, 2)[0].sum().backward()
        return lookup, w.grad

    agree(check)


def test_sparse_gradients_stay_refused() -> None:
    w = cr.ones(3, 2, requires_grad=True)
    for refused in (
        lambda: CF.embedding(cr.tensor([0]), w, sparse=True, scale_grad_by_freq=True),
        lambda: cr.nn.Embedding(3, 2, sparse=True),
        lambda: CF.embedding_bag(cr.tensor([0]), w, cr.tensor([0]), sparse=True),
    ):
        with pytest.raises(NotImplementedError, match="sparse=True is not supported"):
            refused()
