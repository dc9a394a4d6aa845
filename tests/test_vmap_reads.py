"""vmap over functions that read a tensor's values on arrays (``any``, ``all``, the checks of
``gaussian_nll_loss``, ``embedding_bag`` over per-example bags, ``searchsorted``,
``bucketize``, ``histc``, ``bincount``, ``isin``, ``quantile``): one batched computation, as
torch.func's, no loop over the examples (a loop warns, and warnings are errors here)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf
from func_test_util import loops_as_errors

import chainrule as cr
import chainrule.func as cf


def lib(x: Any) -> Any:
    return torch if isinstance(x, torch.Tensor) else cr


rng = np.random.default_rng(11)
X = rng.standard_normal((4, 3, 5)) > 0.3
U = X.astype(np.uint8)

CASES: dict[str, tuple[Any, Any]] = {
    "any": (lambda x: x.any(), X),
    "all over dim 0": (lambda x: x.all(0), X),
    "any over dim -1, keepdim": (lambda x: x.any(-1, keepdim=True), X),
    "all of uint8 (uint8 out)": (lambda x: x.all(1), U),
    "any of uint8, whole": (lambda x: lib(x).any(x), U),
    "where of any": (lambda x: lib(x).where(x.any(1, keepdim=True), 1.0, -1.0), X),
}


def no_loop(fn: Any, *args: Any) -> Any:
    with loops_as_errors():
        warnings.simplefilter("error")  # and every other warning
        return fn(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_any_and_all_under_vmap_are_torch_funcs(name: str) -> None:
    f, x = CASES[name]
    expected = tf.vmap(f)(torch.tensor(x))
    found = no_loop(cf.vmap(f), cr.tensor(x))
    assert tuple(found.shape) == tuple(expected.shape)
    assert str(found.dtype) == str(expected.dtype).replace("torch", "chainrule")
    np.testing.assert_array_equal(found.numpy(), expected.numpy())


def test_gaussian_nll_loss_per_example_gradients_check_every_examples_variance() -> None:
    """torch.func refuses this vmap (its check of the variance is Python control flow on a
    batched value); chainrule checks every example's values at once and computes it."""
    x, target, var = rng.standard_normal((3, 4, 2, 5))
    var = np.abs(var) + 0.1

    def loss(x: Any, t: Any, v: Any) -> Any:
        return lib(x).nn.functional.gaussian_nll_loss(x, t, v)

    found = no_loop(cf.vmap(cf.grad(loss)), cr.tensor(x), cr.tensor(target), cr.tensor(var))
    for k in range(4):
        expected = torch.func.grad(loss)(*(torch.tensor(a[k]) for a in (x, target, var)))
        np.testing.assert_allclose(found[k].numpy(), expected.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        tf.vmap(loss)(*(torch.tensor(a) for a in (x, target, var)))
    var[2, 1, 3] = -1.0  # one example's: refused, as each example alone is
    with pytest.raises(ValueError, match="var has negative entry"):
        cf.vmap(loss)(cr.tensor(x), cr.tensor(target), cr.tensor(var))


def test_embedding_bag_mean_with_a_table_per_example_is_torch_funcs() -> None:
    """The mean's counts are made in the table's dtype, read from the batch's array."""
    weights = rng.standard_normal((6, 10, 3))
    bags = rng.integers(0, 10, (2, 3))

    def loss(w: Any) -> Any:
        bag = lib(w).tensor(bags)
        return lib(w).nn.functional.embedding_bag(bag, w, mode="mean").tanh().sum()

    expected = tf.vmap(tf.grad(loss))(torch.tensor(weights))
    found = no_loop(cf.vmap(cf.grad(loss)), cr.tensor(weights))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)


TABLE = rng.standard_normal((7, 3))
BAGS = rng.integers(0, 7, (4, 3, 5))  # 4 examples of 3 bags of 5 indices
FLAT = rng.integers(0, 7, (4, 9))  # 4 examples of 9 indices, cut by offsets
OFFSETS = np.array([[0, 2, 2, 6], [0, 0, 5, 9], [0, 1, 2, 3], [0, 4, 4, 4]])  # each its own
WEIGHTS = rng.standard_normal((4, 9))
# name: (f(table, indices, offsets, per-sample weights), in_dims, whether torch.func agrees:
# with scale_grad_by_freq its CPU kernel divides by other indices' counts, pytorch#190063)
BAGGED: dict[str, tuple[Any, tuple[Any, ...], bool]] = {
    "rows as bags, sum": (lambda w, i, o, p: F(w).embedding_bag(i, w, mode="sum"), BAGS, True),
    "rows as bags, mean without padding": (
        lambda w, i, o, p: F(w).embedding_bag(i, w, mode="mean", padding_idx=2),
        BAGS,
        True,
    ),
    "rows as bags, max": (lambda w, i, o, p: F(w).embedding_bag(i, w, mode="max"), BAGS, True),
    "rows as bags, counted": (
        lambda w, i, o, p: F(w).embedding_bag(i, w, mode="sum", scale_grad_by_freq=True),
        BAGS,
        False,
    ),
    "offsets for all": (
        lambda w, i, o, p: F(w).embedding_bag(i, w, lib(w).tensor([0, 3, 5]), mode="mean"),
        FLAT,
        True,
    ),
    "offsets per example": (lambda w, i, o, p: F(w).embedding_bag(i, w, o), FLAT, True),
    "offsets per example, indices for all": (
        lambda w, i, o, p: F(w).embedding_bag(lib(w).tensor(FLAT[0]), w, o, mode="max"),
        FLAT,
        True,
    ),
    "offsets ending the last bag": (
        lambda w, i, o, p: F(w).embedding_bag(
            i, w, lib(o).cat([o, lib(o).full((1,), 9)]), mode="sum", include_last_offset=True
        ),
        FLAT,
        True,
    ),
    "offsets, counted, padding": (
        lambda w, i, o, p: F(w).embedding_bag(
            i, w, o, mode="mean", scale_grad_by_freq=True, padding_idx=1
        ),
        FLAT,
        False,
    ),
    "per-sample weights": (
        lambda w, i, o, p: F(w).embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
        FLAT,
        True,
    ),
}


def F(x: Any) -> Any:
    return lib(x).nn.functional


@pytest.mark.parametrize("name", list(BAGGED))
def test_embedding_bag_over_per_example_bags_is_the_loops_without_a_loop(name: str) -> None:
    """Each example's bags (its rows, or cut by its offsets) at once: values and per-example
    gradients of the table and of the per-sample weights, as one example at a time, and as
    torch.func's where its kernel is right."""
    f, indices, torch_agrees = BAGGED[name]

    def loss(w: Any, i: Any, o: Any, p: Any) -> Any:
        return (f(w, i, o, p) ** 2 * lib(w).arange(3.0, dtype=w.dtype)).sum()

    def run(m: Any, fn: Any) -> list[Any]:
        args = (m.tensor(TABLE), m.tensor(indices), m.tensor(OFFSETS), m.tensor(WEIGHTS))
        dims = (None, 0, 0, 0)
        return [
            fn.vmap(f, in_dims=dims)(*args),
            *fn.vmap(fn.grad(loss, argnums=(0, 3)), in_dims=dims)(*args),
        ]

    found = no_loop(run, cr, cf)
    for k in range(4):
        args = (cr.tensor(TABLE), cr.tensor(indices[k]), cr.tensor(OFFSETS[k]))
        one = [
            f(*args, cr.tensor(WEIGHTS[k])),
            *cf.grad(loss, argnums=(0, 3))(*args, cr.tensor(WEIGHTS[k])),
        ]
        for a, b in zip(found, one, strict=True):
            np.testing.assert_allclose(a[k].numpy(), b.numpy(), rtol=1e-12, atol=1e-14)
    if torch_agrees:
        for a, b in zip(found, run(torch, tf), strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_embedding_bag_refuses_an_examples_bad_offsets_in_one_examples_words() -> None:
    offsets = OFFSETS.copy()
    offsets[2, 0] = 1
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0.*However, got 1"):
        cf.vmap(F(cr.zeros(1)).embedding_bag, in_dims=(0, None, 0))(
            cr.tensor(FLAT), cr.tensor(TABLE), cr.tensor(offsets)
        )
    indices = FLAT.copy()
    indices[3, 4] = 7
    with pytest.raises(RuntimeError, match="Index 4 of input takes value 7 which is not in"):
        cf.vmap(F(cr.zeros(1)).embedding_bag, in_dims=(0, None, 0))(
            cr.tensor(indices), cr.tensor(TABLE), cr.tensor(OFFSETS)
        )


COUNTED = rng.integers(0, 5, (4, 6))
COUNTED[:, 0] = 4  # as many bins in every example
SORTED = np.sort(rng.standard_normal((4, 2, 6)), -1)
VALUES = rng.standard_normal((4, 2, 3))
ORDER = rng.permuted(np.tile(np.arange(6), (4, 2, 1)), axis=-1)
SEARCHES: dict[str, tuple[Any, tuple[Any, ...], tuple[Any, ...]]] = {
    "searchsorted, both batched": (
        lambda s, v: lib(s).searchsorted(s, v),
        (SORTED, VALUES),
        (0, 0),
    ),
    "searchsorted, one sequence for all": (
        lambda s, v: lib(s).searchsorted(s, v, right=True),
        (SORTED[0, 0], VALUES),
        (None, 0),
    ),
    "searchsorted, one value per example": (
        lambda s, v: lib(s).searchsorted(s, v[0, 0]),
        (SORTED[:, 0], VALUES),
        (0, 0),
    ),
    "searchsorted with a sorter": (
        lambda s, o: lib(s).searchsorted(s.gather(-1, o), s[:, :2] + 0.1, sorter=o.argsort(-1)),
        (SORTED, ORDER),
        (0, 0),
    ),
    "bucketize": (lambda v, b: lib(v).bucketize(v, b), (VALUES, SORTED[:, 0]), (0, 0)),
    # a number among each example's sequence (it was not lifted to the examples)
    "searchsorted of a number": (
        lambda s, v: lib(s).searchsorted(s, 0.25),
        (SORTED[:, 0], VALUES),
        (0, 0),
    ),
    "searchsorted of a number, one example": (
        lambda s, v: lib(s).searchsorted(s, 0.25, right=True),
        (SORTED[:1, 0], VALUES[:1]),
        (0, 0),
    ),
    "bucketize of a number": (
        lambda v, b: lib(b).bucketize(-0.5, b),
        (VALUES, SORTED[:, 1]),
        (0, 0),
    ),
    "histc over a range": (lambda v, s: lib(v).histc(v, 4, -1, 1), (VALUES, SORTED), (0, 0)),
    "histc over each example's own range": (
        lambda v, s: lib(v).histc(v * s[0, 0].abs(), 5),
        (VALUES, SORTED),
        (0, 0),
    ),
    "bincount": (lambda v, w: lib(v).bincount(v), (COUNTED, VALUES), (0, 0)),
    "bincount with minlength": (
        lambda v, w: lib(v).bincount(v, minlength=8),
        (COUNTED, VALUES),
        (0, 0),
    ),
    "bincount, weights per example": (
        lambda v, w: lib(v).bincount(v, w.reshape(6)),
        (COUNTED, VALUES),
        (0, 0),
    ),
    "bincount, values for all": (
        lambda v, w: lib(v).bincount(v, w.reshape(6), minlength=6),
        (COUNTED[0], VALUES),
        (None, 0),
    ),
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_searches_and_counts_under_vmap_are_torch_funcs(name: str) -> None:
    f, args, dims = SEARCHES[name]
    expected = tf.vmap(f, in_dims=dims)(*map(torch.tensor, args))
    found = no_loop(cf.vmap(f, in_dims=dims), *map(cr.tensor, args))
    assert str(found.dtype) == str(expected.dtype).replace("torch", "chainrule")
    assert tuple(found.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(found.numpy(), expected.numpy())


def test_bincount_refuses_examples_of_as_many_bins_as_torch_funcs_stack() -> None:
    counted = COUNTED.copy()
    counted[2, 0] = 6
    for m, fn in ((torch, tf), (cr, cf)):
        with pytest.raises(RuntimeError, match="got \\[5\\] at entry 0 and \\[7\\] at entry 2"):
            fn.vmap(m.bincount)(m.tensor(counted))


def test_a_number_searched_in_each_examples_rows_is_refused_in_one_examples_words() -> None:
    message = "input value can be a scalar only when boundaries tensor dimension is 1"
    for lib_, fn in ((torch, tf), (cr, cf)):
        with pytest.raises(RuntimeError, match=message):
            fn.vmap(lambda s, lib_=lib_: lib_.searchsorted(s, 0.5))(lib_.tensor(SORTED))


ELEMENTS = rng.integers(0, 6, (3, 2, 4))
SETS = rng.integers(0, 6, (3, 3))
ISIN: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "one set for all": (lambda e, s: lib(e).isin(e, s[0]), (0, None)),
    "a set per example, inverted": (lambda e, s: lib(e).isin(e, s, invert=True), (0, 0)),
    "shared elements, a set per example": (lambda e, s: lib(e).isin(e[0], s), (None, 0)),
    "a number": (lambda e, s: lib(e).isin(e, 3), (0, None)),
}


@pytest.mark.parametrize("name", list(ISIN))
def test_isin_under_vmap_is_torch_funcs(name: str) -> None:
    f, dims = ISIN[name]
    expected = tf.vmap(f, in_dims=dims)(torch.tensor(ELEMENTS), torch.tensor(SETS))
    found = no_loop(cf.vmap(f, in_dims=dims), cr.tensor(ELEMENTS), cr.tensor(SETS))
    assert tuple(found.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(found.numpy(), expected.numpy())


SAMPLES = rng.standard_normal((4, 3, 5))
SAMPLES[1, 0, 2] = np.nan  # one row of one example with a NaN
SAMPLES[2, 1] = np.nan  # a row of another all NaN
QUANTILES: dict[str, Any] = {
    "quantile along a dim": lambda x: x.quantile(0.3, 1),
    "several q, keepdim": lambda x: x.quantile(
        lib(x).tensor([0.1, 0.5, 0.9], dtype=x.dtype), 0, True
    ),
    "the whole example, nearest": lambda x: x.quantile(0.4, interpolation="nearest"),
    "midpoint": lambda x: x.quantile(0.25, -1, interpolation="midpoint"),
    "nanquantile": lambda x: x.nanquantile(0.6, 1),
    "nanquantile, several q, lower": lambda x: x.nanquantile(
        lib(x).tensor([0.2, 0.7], dtype=x.dtype), 1, interpolation="lower"
    ),
}


@pytest.mark.parametrize("name", list(QUANTILES))
def test_quantiles_under_vmap_and_their_gradients_are_torch_funcs(name: str) -> None:
    """Each example's rows ranked by their own NaN count; the gradient to the picked values."""
    f = QUANTILES[name]
    expected = tf.vmap(f)(torch.tensor(SAMPLES))
    found = no_loop(cf.vmap(f), cr.tensor(SAMPLES))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12, equal_nan=True)
    finite = np.nan_to_num(SAMPLES)

    def total(x: Any) -> Any:
        return f(x).sum()

    expected = tf.vmap(tf.grad(total))(torch.tensor(finite))
    found = no_loop(cf.vmap(cf.grad(total)), cr.tensor(finite))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)


# A decomposition guards its outputs on its nodes (decompositions.saved_together), reading
# their arrays: under vmap those of the whole batch's tensors. (The guard read vmap's batched
# outputs, which hold no values: every one of these looped over the examples, with a warning.)
MATRICES = np.random.default_rng(12).standard_normal((5, 3, 3))
W = np.arange(9.0).reshape(3, 3) / 9


def _w(x: Any) -> Any:
    return lib(x).tensor(W, dtype=x.dtype)


DECOMPOSITIONS: dict[str, Any] = {
    "svd": lambda a: (lib(a).linalg.svd(a).U ** 2 * _w(a)).sum() + lib(a).linalg.svd(a).S.sum(),
    "svd, reduced": lambda a: (lib(a).linalg.svd(a[:, :2], full_matrices=False).Vh ** 2).sum(),
    "svdvals": lambda a: lib(a).linalg.svdvals(a).prod(),
    "eigh": lambda a: (lib(a).linalg.eigh(a @ a.mT).eigenvectors ** 2 * _w(a)).sum(),
    "eigvalsh": lambda a: lib(a).linalg.eigvalsh(a @ a.mT, UPLO="U").prod(),
    "qr": lambda a: (lib(a).linalg.qr(a).R ** 2 * _w(a)).sum(),
    "slogdet": lambda a: lib(a).linalg.slogdet(a).logabsdet,
    "lu_factor": lambda a: (lib(a).linalg.lu_factor(a).LU * _w(a)).sum(),
    "lu": lambda a: (lib(a).linalg.lu(a).L * _w(a)).sum() + lib(a).linalg.lu(a).U.sum(),
}


@pytest.mark.parametrize("name", list(DECOMPOSITIONS))
def test_gradients_through_decompositions_under_vmap_are_torch_funcs(name: str) -> None:
    f = DECOMPOSITIONS[name]
    expected = tf.vmap(tf.grad(f))(torch.tensor(MATRICES))
    found = no_loop(cf.vmap(cf.grad(f)), cr.tensor(MATRICES))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


# Forward mode under vmap through ops whose rules compute integer positions with floor_divide
# (op.without_derivative asked each input's array whether it is float: vmap's batched inputs
# have none, so these looped over the examples)
VOLUME = np.random.default_rng(13).standard_normal((2, 1, 2, 7, 5, 6))
TANGENT = np.cos(VOLUME)
TANGENT_RULES: dict[str, Any] = {
    "frexp's mantissa": lambda x: lib(x).frexp(x).mantissa,
    "adaptive_max_pool3d": lambda x: lib(x).nn.functional.adaptive_max_pool3d(x, (2, 3, 2)),
    "max_pool3d, dilated, ceil_mode": lambda x: lib(x).nn.functional.max_pool3d(
        x, 3, stride=2, padding=1, dilation=(2, 1, 1), ceil_mode=True, return_indices=True
    )[0],
}


@pytest.mark.parametrize("name", list(TANGENT_RULES))
def test_forward_mode_under_vmap_through_integer_positions_is_torch_funcs(name: str) -> None:
    f = TANGENT_RULES[name]

    def tangent_of(module: Any, x: Any, t: Any) -> Any:
        return module.jvp(lambda u: (f(u) ** 2).sum(), (x,), (t,))[1]

    expected = tf.vmap(lambda x, t: tangent_of(tf, x, t))(
        torch.tensor(VOLUME), torch.tensor(TANGENT)
    )
    found = no_loop(
        cf.vmap(lambda x, t: tangent_of(cf, x, t)), cr.tensor(VOLUME), cr.tensor(TANGENT)
    )
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)


def test_the_loop_warning_names_the_function_that_read_the_values() -> None:
    """vmap's fallback names where a batched tensor's array was read (past ``op._value``,
    which only hands it on), so that the rule lacking a batched path can be found."""
    from chainrule.op import _value

    def reads_the_array(x: Any) -> Any:
        return cr.tensor(_value(x) * 2)

    with pytest.warns(UserWarning, match=r"no batching rule \(in [\w.]*\.reads_the_array\)"):
        found = cf.vmap(reads_the_array)(cr.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert found.tolist() == [[2.0, 4.0], [6.0, 8.0]]


@pytest.mark.parametrize("name", ["svd", "eigh"])
def test_an_output_changed_in_place_is_still_refused_under_vmap(name: str) -> None:
    """The guards sit on the whole batch's tensors now: a decomposition's output changed in
    place before the backward is refused under vmap as it is eagerly, in both libraries."""

    def f(a: Any) -> Any:
        if name == "svd":
            u, s, _ = lib(a).linalg.svd(a, full_matrices=False)
            s.mul_(2)
            return u.sum() + s.sum()
        w, v = lib(a).linalg.eigh(a @ a.mT)
        w.mul_(2)
        return (v**2 * _w(a)).sum()

    for module, tensor in ((tf, torch.tensor), (cf, cr.tensor)):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            no_loop(module.vmap(module.grad(f)), tensor(MATRICES))


@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_under_vmap_is_torch_funcs_without_a_loop(wrap: bool) -> None:
    """fill_diagonal_ reads its tensor's strides: under vmap each example's, counted from its
    own start (transposed examples too), not the batch's array (a loop before)."""
    x = np.arange(30.0).reshape(3, 5, 2)

    def fill(lib: Any, v: Any) -> Any:
        return v.clone().fill_diagonal_(0.5, wrap=wrap) + v.mT.clone().fill_diagonal_(-1.0).mT

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.func's own fallback warns
        expected = tf.vmap(lambda v: fill(torch, v))(torch.tensor(x))
    found = no_loop(cf.vmap(lambda v: fill(cr, v)), cr.tensor(x))
    np.testing.assert_array_equal(found.numpy(), expected.numpy())
