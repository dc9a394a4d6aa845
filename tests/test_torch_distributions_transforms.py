"""The transforms of ``torch.distributions.transforms`` and the constraint registry, against
PyTorch.

Each row builds the same transform on both libraries (float64 inputs, a parameter tensor ``p``
that some rows use) and compares the forward map, the inverse of its result, log |det J|, the
gradients of both to the input and the parameter, a second-order gradient of log |det J|, and the
attributes: repr, domain, codomain, bijective, sign, event_dim, forward/inverse shapes,
``with_cache`` and equality. A table of bad inputs compares error types and messages word for
word; ``biject_to``/``transform_to`` are compared by the transform they pick and its round trip.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import test_torch_distributions as common
import torch
from test_torch_distributions import LIBS, assert_same, outcome, plain, text

import chainrule as cr


def T(lib: Any) -> Any:
    return lib.distributions.transforms


def C(lib: Any) -> Any:
    return lib.distributions.constraints


def simplex_point(rng: Any, *shape: int) -> Any:
    w = rng.uniform(0.2, 1.0, shape)
    return w / w.sum(-1, keepdims=True)


def spd(rng: Any, *shape: int) -> Any:
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def corr_cholesky(rng: Any, *shape: int) -> Any:
    m = spd(rng, *shape)
    d = 1 / np.sqrt(np.diagonal(m, axis1=-2, axis2=-1))
    return np.linalg.cholesky(m * d[..., :, None] * d[..., None, :])


def normal(rng: Any, *shape: int) -> Any:
    return rng.normal(size=shape) * 0.8


# name -> (build(lib, p), input maker(rng) -> array, shape of p)
Build = Callable[[Any, Any], Any]
ROWS: dict[str, tuple[Build, Callable[[Any], Any], tuple[int, ...]]] = {
    "softplus": (lambda lib, p: T(lib).SoftplusTransform(), lambda r: normal(r, 2, 3), (3,)),
    "softplus_wide": (
        lambda lib, p: T(lib).SoftplusTransform(),
        lambda r: np.array([-30.0, -5.0, 0.0, 5.0, 19.0, 25.0]),
        (1,),
    ),
    "softplus_inverse": (
        lambda lib, p: T(lib).SoftplusTransform().inv,
        lambda r: r.uniform(0.1, 3.0, (2, 3)),
        (1,),
    ),
    "softmax": (lambda lib, p: T(lib).SoftmaxTransform(), lambda r: normal(r, 2, 4), (1,)),
    "stick_breaking": (
        lambda lib, p: T(lib).StickBreakingTransform(),
        lambda r: normal(r, 2, 3),
        (1,),
    ),
    "stick_breaking_one": (
        lambda lib, p: T(lib).StickBreakingTransform(),
        lambda r: normal(r, 1),
        (1,),
    ),
    "stick_breaking_inverse": (
        lambda lib, p: T(lib).StickBreakingTransform().inv,
        lambda r: simplex_point(r, 3, 4),
        (1,),
    ),
    "reshape": (
        lambda lib, p: T(lib).ReshapeTransform((2, 3), (3, 2)),
        lambda r: normal(r, 4, 2, 3),
        (1,),
    ),
    "reshape_flat": (
        lambda lib, p: T(lib).ReshapeTransform((2, 3), (6,)),
        lambda r: normal(r, 2, 3),
        (1,),
    ),
    "independent_affine": (
        lambda lib, p: T(lib).IndependentTransform(T(lib).AffineTransform(p, p.exp()), 1),
        lambda r: normal(r, 2, 3),
        (3,),
    ),
    "independent_exp_2": (
        lambda lib, p: T(lib).IndependentTransform(T(lib).ExpTransform(), 2),
        lambda r: normal(r, 4, 2, 3),
        (1,),
    ),
    "independent_stick": (
        lambda lib, p: T(lib).IndependentTransform(T(lib).StickBreakingTransform(), 1),
        lambda r: normal(r, 2, 3),
        (1,),
    ),
    "identity": (lambda lib, p: T(lib).identity_transform, lambda r: normal(r, 2, 3), (1,)),
    "cdf_normal": (
        lambda lib, p: T(lib).CumulativeDistributionTransform(lib.distributions.Normal(p, 1.5)),
        lambda r: normal(r, 2, 3),
        (3,),
    ),
    "cdf_exponential": (
        lambda lib, p: T(lib).CumulativeDistributionTransform(
            lib.distributions.Exponential(p.exp())
        ),
        lambda r: r.uniform(0.1, 2.0, (2, 3)),
        (3,),
    ),
    "compose_stick_exp": (
        lambda lib, p: T(lib).ComposeTransform(
            [T(lib).AffineTransform(p, 2.0), T(lib).StickBreakingTransform()]
        ),
        lambda r: normal(r, 2, 3),
        (3,),
    ),
    "compose_exp_then_independent": (
        lambda lib, p: T(lib).ComposeTransform(
            [T(lib).ExpTransform(), T(lib).IndependentTransform(T(lib).PowerTransform(p), 1)]
        ),
        lambda r: normal(r, 2, 3),
        (3,),
    ),
    "cat_exp_identity": (
        lambda lib, p: T(lib).CatTransform(
            [T(lib).ExpTransform(), T(lib).AffineTransform(p, 2.0)], 0, [2, 3]
        ),
        lambda r: normal(r, 5, 3),
        (3,),
    ),
    "cat_last_dim": (
        lambda lib, p: T(lib).CatTransform(
            [T(lib).SigmoidTransform(), T(lib).SoftplusTransform(), T(lib).TanhTransform()], -1
        ),
        lambda r: normal(r, 2, 3),
        (1,),
    ),
    "cat_with_events": (
        lambda lib, p: T(lib).CatTransform(
            [T(lib).IndependentTransform(T(lib).ExpTransform(), 1), T(lib).ExpTransform()],
            0,
            [2, 1],
        ),
        lambda r: normal(r, 3, 4),
        (1,),
    ),
    "stack_exp_affine": (
        lambda lib, p: T(lib).StackTransform(
            [T(lib).ExpTransform(), T(lib).AffineTransform(p, p.exp())], 1
        ),
        lambda r: normal(r, 3, 2),
        (3,),
    ),
    "stack_negative_dim": (
        lambda lib, p: T(lib).StackTransform(
            [T(lib).SigmoidTransform(), T(lib).identity_transform, T(lib).SoftplusTransform()],
            -1,
        ),
        lambda r: normal(r, 2, 3),
        (1,),
    ),
    "lower_cholesky": (
        lambda lib, p: T(lib).LowerCholeskyTransform(),
        lambda r: normal(r, 2, 3, 3),
        (1,),
    ),
    "positive_definite": (
        lambda lib, p: T(lib).PositiveDefiniteTransform(),
        lambda r: normal(r, 2, 3, 3),
        (1,),
    ),
    "positive_definite_inverse": (
        lambda lib, p: T(lib).PositiveDefiniteTransform().inv,
        lambda r: spd(r, 2, 3, 3),
        (1,),
    ),
    "corr_cholesky_3": (
        lambda lib, p: T(lib).CorrCholeskyTransform(),
        lambda r: normal(r, 2, 3),
        (1,),
    ),
    "corr_cholesky_4": (
        lambda lib, p: T(lib).CorrCholeskyTransform(),
        lambda r: normal(r, 6) * 2,
        (1,),
    ),
    "corr_cholesky_2": (
        lambda lib, p: T(lib).CorrCholeskyTransform(),
        lambda r: normal(r, 2, 1),
        (1,),
    ),
    "corr_cholesky_inverse": (
        lambda lib, p: T(lib).CorrCholeskyTransform().inv,
        lambda r: corr_cholesky(r, 2, 4, 4),
        (1,),
    ),
    "compose_affine_corr_cholesky": (
        lambda lib, p: T(lib).ComposeTransform(
            [T(lib).AffineTransform(p, 0.5), T(lib).CorrCholeskyTransform()]
        ),
        lambda r: normal(r, 2, 3),
        (3,),
    ),
}


def attributes(t: Any, shape: tuple[int, ...], y_shape: Any) -> dict[str, Any]:
    fresh = t.with_cache(1)
    return {
        "repr": outcome(lambda: text(repr(t))),
        "domain": outcome(lambda: text(repr(t.domain))),
        "codomain": outcome(lambda: text(repr(t.codomain))),
        "bijective": outcome(lambda: t.bijective),
        "sign": outcome(lambda: t.sign),
        "event_dim": outcome(lambda: t.event_dim),
        "domain_event_dim": outcome(lambda: (t.domain.event_dim, t.codomain.event_dim)),
        "forward_shape": outcome(lambda: text(repr(t.forward_shape(shape)))),
        "inverse_shape": outcome(lambda: text(repr(t.inverse_shape(tuple(y_shape))))),
        "forward_shape_empty": outcome(lambda: text(repr(t.forward_shape(())))),
        "inverse_shape_empty": outcome(lambda: text(repr(t.inverse_shape(())))),
        "with_cache": outcome(lambda: (text(repr(fresh)), fresh._cache_size, fresh == t)),
        "with_cache_0": outcome(lambda: t.with_cache(0) is t),
        "self_equal": outcome(lambda: t == t),
    }


@pytest.mark.parametrize("name", sorted(ROWS))
def test_transforms_match_torch(name: str) -> None:
    build, make_x, p_shape = ROWS[name]
    rng = np.random.default_rng(1)
    x_np, p_np = make_x(rng), rng.normal(size=p_shape) * 0.5
    found = []
    for lib in LIBS:
        x = lib.tensor(x_np, requires_grad=True)
        p = lib.tensor(p_np, requires_grad=True)
        t = build(lib, p)
        y = t(x)
        run = attributes(t, tuple(x_np.shape), y.shape)
        run["y"] = outcome(lambda t=t, x=x: t(x))
        run["inverse"] = outcome(lambda t=t, y=y: t.inv(y.detach()))
        run["equal_to_rebuilt"] = outcome(lambda t=t, lib=lib, p=p: t == build(lib, p))
        ladj = outcome(lambda t=t, x=x, y=y: t.log_abs_det_jacobian(x, y))
        run["ladj"] = ladj
        loss = (y * lib.arange(y.numel(), dtype=y.dtype).reshape(y.shape).cos()).sum()
        j = t.log_abs_det_jacobian(x, y) if ladj[0] == "tensor" else None
        if j is not None and j.requires_grad:
            loss = loss + (j * 0.7).sum()
        first = lib.autograd.grad(loss, [x, p], allow_unused=True, retain_graph=True)
        run["grads"] = [None if g is None else plain(g) for g in first]
        if j is not None and j.requires_grad:
            (gx,) = lib.autograd.grad(j.sum(), x, create_graph=True, allow_unused=True)
            if gx is not None and gx.requires_grad:
                second = lib.autograd.grad((gx * gx).sum(), [x, p], allow_unused=True)
                run["second_order"] = [None if g is None else plain(g) for g in second]
        found.append(run)
    ours, theirs = found
    assert ours.keys() == theirs.keys()
    for key in ours:
        a, b = ours[key], theirs[key]
        if key in ("grads", "second_order"):
            for ga, gb in zip(a, b, strict=True):
                assert (ga is None) == (gb is None), f"{name}.{key}"
                if ga is not None:
                    np.testing.assert_allclose(ga, gb, rtol=1e-8, atol=1e-10, err_msg=name)
        else:
            assert_same(a, b, f"{name}.{key}", rtol=1e-8)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_cached_transforms_invert_to_the_same_tensor(name: str) -> None:
    build, make_x, p_shape = ROWS[name]
    rng = np.random.default_rng(2)
    x = cr.tensor(make_x(rng))
    t = build(cr, cr.tensor(rng.normal(size=p_shape))).with_cache(1)
    y = t(x)
    assert t.inv(y) is x and t(x) is y


@pytest.mark.parametrize(
    "name",
    [
        "softplus",
        "stick_breaking",
        "reshape",
        "independent_affine",
        "corr_cholesky_3",
        "positive_definite",
        "stack_negative_dim",
        "cat_last_dim",
    ],
)
def test_transforms_map_under_vmap_as_over_a_batch(name: str) -> None:
    build, make_x, p_shape = ROWS[name]
    rng = np.random.default_rng(3)
    x = cr.tensor(np.stack([make_x(rng) for _ in range(3)]))
    t = build(cr, cr.tensor(rng.normal(size=p_shape)))
    np.testing.assert_allclose(plain(cr.vmap(t)(x)), plain(t(x)), rtol=1e-12)
    if not t.bijective:  # no log |det J| (PositiveDefiniteTransform)
        return
    mapped = cr.vmap(lambda v: t.log_abs_det_jacobian(v, t(v)))(x)
    np.testing.assert_allclose(plain(mapped), plain(t.log_abs_det_jacobian(x, t(x))), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_float32_inputs_give_torchs_dtypes_and_values(name: str) -> None:
    build, make_x, p_shape = ROWS[name]
    rng = np.random.default_rng(7)
    x_np, p_np = make_x(rng), rng.normal(size=p_shape) * 0.5
    found = []
    for lib in LIBS:
        x = lib.tensor(x_np, dtype=lib.float32)
        t = build(lib, lib.tensor(p_np, dtype=lib.float32))
        y = t(x)
        found.append(
            [
                outcome(lambda y=y: y),
                outcome(lambda t=t, y=y: t.inv(y)),
                outcome(lambda t=t, x=x, y=y: t.log_abs_det_jacobian(x, y)),
            ]
        )
    for a, b in zip(*found, strict=True):
        if a[0] == b[0] == "tensor":  # float32 rounding: exp and log differ by an ulp
            assert a[1:3] == b[1:3], name
            np.testing.assert_allclose(a[3], b[3], rtol=2e-5, atol=1e-6, err_msg=name)
        else:
            assert a == b, name


# ---- errors and small behaviours: the same snippet on both libraries, errors word for word
SNIPPETS: dict[str, Callable[[Any], Any]] = {
    "cache_size_2": lambda lib: T(lib).SoftplusTransform(cache_size=2),
    "reshape_numel": lambda lib: T(lib).ReshapeTransform((2, 3), (5,)),
    "reshape_forward_mismatch": lambda lib: (
        T(lib).ReshapeTransform((2, 3), (6,)).forward_shape((4, 2, 2))
    ),
    "reshape_inverse_mismatch": lambda lib: (
        T(lib).ReshapeTransform((2, 3), (6,)).inverse_shape((4, 5))
    ),
    "reshape_too_few": lambda lib: T(lib).ReshapeTransform((2, 3), (6,)).forward_shape((3,)),
    "reshape_shapes": lambda lib: text(repr(T(lib).ReshapeTransform([2, 3], (6,)).in_shape)),
    "reshape_ladj_dtype": lambda lib: (
        T(lib)
        .ReshapeTransform((2, 3), (6,))
        .log_abs_det_jacobian(lib.zeros(4, 2, 3, dtype=lib.float64), lib.zeros(4, 6))
    ),
    "reshape_not_equal": lambda lib: (
        T(lib).ReshapeTransform((2, 3), (6,)) == T(lib).ReshapeTransform((2, 3), (6,))
    ),
    "independent_too_few": lambda lib: T(lib).IndependentTransform(T(lib).ExpTransform(), 2)(
        lib.zeros(3)
    ),
    "independent_inverse_too_few": lambda lib: (
        T(lib).IndependentTransform(T(lib).ExpTransform(), 2).inv(lib.ones(3))
    ),
    "softmax_ladj": lambda lib: (
        T(lib).SoftmaxTransform().log_abs_det_jacobian(lib.zeros(3), lib.zeros(3))
    ),
    "softmax_sign": lambda lib: T(lib).SoftmaxTransform().sign,
    "abs_sign": lambda lib: T(lib).AbsTransform().sign,
    "abs_equal": lambda lib: T(lib).AbsTransform() == T(lib).AbsTransform(),
    "softplus_equal": lambda lib: T(lib).SoftplusTransform() == T(lib).SoftplusTransform(),
    "softplus_not_exp": lambda lib: T(lib).SoftplusTransform() == T(lib).ExpTransform(),
    "stick_equal": lambda lib: T(lib).StickBreakingTransform() == T(lib).StickBreakingTransform(),
    "independent_not_equal": lambda lib: (
        T(lib).IndependentTransform(T(lib).ExpTransform(), 1)
        == T(lib).IndependentTransform(T(lib).ExpTransform(), 1)
    ),
    "cdf_not_equal": lambda lib: (
        T(lib).CumulativeDistributionTransform(lib.distributions.Normal(0.0, 1.0))
        == T(lib).CumulativeDistributionTransform(lib.distributions.Normal(0.0, 1.0))
    ),
    "subclass_with_cache": lambda lib: text(
        repr(type("Mine", (T(lib).Transform,), {})().with_cache())
    ),
    "parametrized_subclass_with_cache": lambda lib: type(
        "Mine",
        (T(lib).Transform,),
        {"__init__": lambda self, a: T(lib).Transform.__init__(self)},
    )(1).with_cache(),
    "base_sign": lambda lib: T(lib).Transform().sign,
    "base_ladj": lambda lib: T(lib).Transform().log_abs_det_jacobian(lib.zeros(1), lib.zeros(1)),
    "base_not_equal": lambda lib: T(lib).Transform() == T(lib).Transform(),
    "compose_with_cache_parts": lambda lib: [
        p._cache_size
        for p in T(lib)
        .ComposeTransform([T(lib).ExpTransform(), T(lib).TanhTransform()])
        .with_cache()
        .parts
    ],
    "compose_inverse": lambda lib: (
        lambda c: (
            text(repr(c.inv)),
            c.inv.inv is c,
            c.inv is c.inv,
            c.inv._cache_size,
            [p._cache_size for p in c.inv.parts],
            c.inv
            == T(lib).ComposeTransform(
                [T(lib).AffineTransform(1.0, 2.0).inv, T(lib).ExpTransform().inv]
            ),
        )
    )(
        T(lib).ComposeTransform(
            [T(lib).ExpTransform(), T(lib).AffineTransform(1.0, 2.0)], cache_size=1
        )
    ),
    "compose_inverse_of_cached_parts": lambda lib: (lambda c, x: c.inv(c(x)) is x)(
        T(lib).ComposeTransform([T(lib).ExpTransform(), T(lib).TanhTransform()], cache_size=1),
        lib.tensor([0.5]),
    ),
    "identity_inverse": lambda lib: (
        text(repr(T(lib).identity_transform.inv)),
        T(lib).identity_transform.inv is T(lib).identity_transform,
    ),
    "pickled_after_inverse": lambda lib: [
        (
            text(repr(r)),
            text(repr(r.inv)),
            r(lib.ones(1, dtype=lib.float64)).tolist(),
            r._cache_size,
        )
        for t in (
            T(lib).ComposeTransform([T(lib).ExpTransform(), T(lib).SoftplusTransform()]),
            T(lib).StickBreakingTransform(cache_size=1),
        )
        if t.inv is not None
        for r in [pickle.loads(pickle.dumps(t))]
    ],
    "inverse_with_cache": lambda lib: text(repr(T(lib).ExpTransform().inv.with_cache())),
    "inverse_shapes": lambda lib: T(lib).StickBreakingTransform().inv.forward_shape((2, 5)),
    "identity_ladj": lambda lib: T(lib).identity_transform.log_abs_det_jacobian(
        lib.ones(2, 3), lib.ones(2, 3)
    ),
    "identity_is_compose": lambda lib: type(T(lib).identity_transform).__name__,
    "stick_scalar": lambda lib: T(lib).StickBreakingTransform().forward_shape(()),
    "stick_inverse_scalar": lambda lib: T(lib).StickBreakingTransform().inverse_shape(()),
    "compose_widened_codomain": lambda lib: text(
        repr(
            T(lib)
            .ComposeTransform([T(lib).StickBreakingTransform(), T(lib).ExpTransform()])
            .codomain
        )
    ),
    "compose_event_dim_mismatch": lambda lib: (
        T(lib).ComposeTransform([T(lib).ReshapeTransform((6,), (2, 3))]).event_dim
    ),
    "cdf_domain": lambda lib: text(
        repr(T(lib).CumulativeDistributionTransform(lib.distributions.Gamma(2.0, 1.0)).domain)
    ),
    "cat_not_transforms": lambda lib: T(lib).CatTransform([1]),
    "cat_lengths": lambda lib: T(lib).CatTransform([T(lib).ExpTransform()], 0, [1, 2]),
    "cat_wrong_length": lambda lib: T(lib).CatTransform(
        [T(lib).ExpTransform(), T(lib).identity_transform], 0, [2, 3]
    )(lib.zeros(4)),
    "cat_inverse_wrong_length": lambda lib: (
        T(lib)
        .CatTransform([T(lib).ExpTransform(), T(lib).identity_transform], 0, [2, 3])
        .inv(lib.ones(4))
    ),
    "cat_bad_dim": lambda lib: T(lib).CatTransform([T(lib).ExpTransform()], 1, [2])(lib.zeros(2)),
    "cat_scalar": lambda lib: T(lib).CatTransform([T(lib).ExpTransform()], 0, [1])(lib.zeros(())),
    "cat_attrs": lambda lib: (
        lambda c: (c.event_dim, c.length, c.lengths, c.dim, repr(c.domain), c.bijective)
    )(T(lib).CatTransform([T(lib).StickBreakingTransform(), T(lib).ExpTransform()], 1, [2, 3])),
    "cat_with_cache": lambda lib: (
        lambda c: (c.lengths, c.dim, [t._cache_size for t in c.transforms])
    )(T(lib).CatTransform([T(lib).ExpTransform()], 1, [2]).with_cache()),
    "cat_not_equal": lambda lib: (
        T(lib).CatTransform([T(lib).ExpTransform()]) == T(lib).CatTransform([T(lib).ExpTransform()])
    ),
    "stack_not_transforms": lambda lib: T(lib).StackTransform([1]),
    "stack_wrong_size": lambda lib: T(lib).StackTransform(
        [T(lib).ExpTransform(), T(lib).identity_transform], 1
    )(lib.zeros(3, 3)),
    "stack_inverse_wrong_size": lambda lib: (
        T(lib)
        .StackTransform([T(lib).ExpTransform(), T(lib).identity_transform], 1)
        .inv(lib.ones(2, 3))
    ),
    "stack_bad_dim": lambda lib: T(lib).StackTransform([T(lib).ExpTransform()], 1)(lib.zeros(4)),
    "stack_with_cache": lambda lib: (lambda c: (c.dim, [t._cache_size for t in c.transforms]))(
        T(lib).StackTransform([T(lib).ExpTransform()], 1).with_cache()
    ),
    "lower_cholesky_ladj": lambda lib: (
        T(lib).LowerCholeskyTransform().log_abs_det_jacobian(lib.zeros(2, 2), lib.zeros(2, 2))
    ),
    "lower_cholesky_equal": lambda lib: (
        T(lib).LowerCholeskyTransform() == T(lib).LowerCholeskyTransform()
    ),
    "positive_definite_equal": lambda lib: (
        T(lib).PositiveDefiniteTransform() == T(lib).PositiveDefiniteTransform()
    ),
    "corr_cholesky_not_equal": lambda lib: (
        T(lib).CorrCholeskyTransform() == T(lib).CorrCholeskyTransform()
    ),
    "corr_cholesky_4_entries": lambda lib: T(lib).CorrCholeskyTransform()(lib.zeros(4)),
    "corr_cholesky_5_entries": lambda lib: T(lib).CorrCholeskyTransform()(lib.zeros(5)),
    "corr_cholesky_no_entries": lambda lib: T(lib).CorrCholeskyTransform()(lib.zeros(2, 0)),
    "corr_cholesky_2_entries": lambda lib: T(lib).CorrCholeskyTransform()(lib.zeros(2)),
    "corr_cholesky_forward_shape": lambda lib: T(lib).CorrCholeskyTransform().forward_shape((4,)),
    "corr_cholesky_inverse_shape": lambda lib: T(lib).CorrCholeskyTransform().inverse_shape((3, 4)),
    "corr_cholesky_event_dim": lambda lib: T(lib).CorrCholeskyTransform().event_dim,
    "corr_cholesky_check": lambda lib: [
        C(lib).corr_cholesky.check(lib.tensor(m)).item()
        for m in ([[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.9]], [[1.0, 0.5], [0.6, 0.8]])
    ],
    "positive_semidefinite_check": lambda lib: [
        C(lib).positive_semidefinite.check(lib.tensor(m)).item()
        for m in ([[1.0, 2.0], [2.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    ],
    "constraint_reprs": lambda lib: text(
        repr(
            [
                C(lib).corr_cholesky,
                C(lib).positive_semidefinite,
                C(lib).cat([C(lib).real]),
                C(lib).stack([C(lib).real]),
            ]
        )
    ),
    "square_check": lambda lib: [
        C(lib).square.check(lib.zeros(*shape)).tolist() for shape in ((2, 3, 3), (2, 3, 4), (3, 3))
    ],
    "symmetric_check": lambda lib: [
        C(lib).symmetric.check(lib.tensor(m, dtype=lib.float64)).tolist()
        for m in (
            [[1.0, 2.0], [2.0, 1.0]],
            [[1.0, 2.0], [2.000001, 1.0]],
            [[1.0, 2.0], [3.0, 1.0]],
            [[100.0, 2.0], [2.0001, 1.0]],
            [[1.0, 2.0, 3.0], [2.0, 1.0, 3.0]],
            [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [3.0, 1.0]]],
            [[1.0, float("nan")], [float("nan"), 1.0]],
        )
    ],
    "square_symmetric_attrs": lambda lib: text(
        repr([(c, c.event_dim, c.is_discrete) for c in (C(lib).square, C(lib).symmetric)])
    ),
    "is_dependent": lambda lib: [
        C(lib).is_dependent(c)
        for c in (C(lib).dependent, C(lib).real, C(lib).dependent_property(lambda s: 1))
    ],
    "stack_event_dims": lambda lib: [
        C(lib).stack(cs, d).event_dim
        for d in (0, 1, -1, -2)
        for cs in ([C(lib).positive, C(lib).real], [C(lib).real_vector, C(lib).simplex])
    ],
    "cat_event_dims": lambda lib: [
        (c.event_dim, c.is_discrete)
        for c in (
            C(lib).cat([C(lib).real_vector, C(lib).simplex], -1, [2, 2]),
            C(lib).cat([C(lib).positive, C(lib).positive_integer]),
        )
    ],
    "stack_check": lambda lib: (
        C(lib)
        .stack([C(lib).positive, C(lib).real], 0)
        .check(lib.tensor([[1.0, -1.0], [-1.0, 2.0]]))
    ),
    "cat_check": lambda lib: (
        C(lib)
        .cat([C(lib).positive, C(lib).real], -1, [2, 3])
        .check(lib.tensor([1.0, -1.0, -1.0, 2.0, 0.0]))
    ),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_and_errors_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: SNIPPETS[name](lib)) for lib in LIBS)
    if ours[0] == "other" and theirs[0] == "other":
        ours, theirs = ("other", text(repr(ours[1]))), ("other", text(repr(theirs[1])))
    assert_same(ours, theirs, name)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_shapes_of_sizes_stay_sizes(name: str) -> None:
    build, make_x, p_shape = ROWS[name]
    shape = make_x(np.random.default_rng(4)).shape
    found = []
    for lib in LIBS:
        t = build(lib, lib.tensor(np.zeros(p_shape)))
        size = lib.Size(shape)
        found.append(outcome(lambda t=t, size=size: text(repr(t.forward_shape(size)))))
        found.append(outcome(lambda t=t, size=size: text(repr(t.inverse_shape(size)))))
    assert found[:2] == found[2:]


# ---- biject_to / transform_to: the transform each registry picks and its round trip
def bounds(lib: Any) -> Any:
    return lib.tensor([-1.0, 0.5, 2.0])


CONSTRAINTS: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "real": (lambda lib: C(lib).real, (2, 3)),
    "real_vector": (lambda lib: C(lib).real_vector, (2, 3)),
    "positive": (lambda lib: C(lib).positive, (2, 3)),
    "nonnegative": (lambda lib: C(lib).nonnegative, (2, 3)),
    "greater_than": (lambda lib: C(lib).greater_than(bounds(lib)), (2, 3)),
    "greater_than_eq": (lambda lib: C(lib).greater_than_eq(1.5), (2, 3)),
    "less_than": (lambda lib: C(lib).less_than(bounds(lib)), (2, 3)),
    "unit_interval": (lambda lib: C(lib).unit_interval, (2, 3)),
    "interval": (lambda lib: C(lib).interval(-1.0, 2.0), (2, 3)),
    "interval_tensor": (lambda lib: C(lib).interval(bounds(lib), bounds(lib) + 1), (2, 3)),
    "half_open_interval": (lambda lib: C(lib).half_open_interval(0.0, 1.0), (2, 3)),
    "half_open_interval_shifted": (lambda lib: C(lib).half_open_interval(2, 5), (2, 3)),
    "simplex": (lambda lib: C(lib).simplex, (2, 3)),
    "lower_cholesky": (lambda lib: C(lib).lower_cholesky, (2, 3, 3)),
    "positive_definite": (lambda lib: C(lib).positive_definite, (2, 3, 3)),
    "positive_semidefinite": (lambda lib: C(lib).positive_semidefinite, (2, 3, 3)),
    "corr_cholesky": (lambda lib: C(lib).corr_cholesky, (2, 6)),
    "independent_positive": (lambda lib: C(lib).independent(C(lib).positive, 1), (2, 3)),
    "independent_simplex": (lambda lib: C(lib).independent(C(lib).simplex, 1), (2, 2, 3)),
    "cat": (
        lambda lib: C(lib).cat([C(lib).positive, C(lib).unit_interval, C(lib).real], 0, [1, 2, 1]),
        (4, 3),
    ),
    "stack": (lambda lib: C(lib).stack([C(lib).positive, C(lib).interval(-2, 2)], 1), (3, 2)),
    "boolean": (lambda lib: C(lib).boolean, (2,)),
    "nonnegative_integer": (lambda lib: C(lib).nonnegative_integer, (2,)),
    "integer_interval": (lambda lib: C(lib).integer_interval(0, 3), (2,)),
    "dependent": (lambda lib: C(lib).dependent, (2,)),
}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_registries_pick_torchs_transforms(registry: str, name: str) -> None:
    make, shape = CONSTRAINTS[name]
    x_np = np.random.default_rng(5).normal(size=shape)
    found = []
    for lib in LIBS:
        c = make(lib)
        x = lib.tensor(x_np, requires_grad=True)
        t = outcome(lambda lib=lib, c=c: getattr(lib.distributions, registry)(c))
        run = {"transform": ("raises", *t[1:]) if t[0] == "raises" else text(repr(t[1]))}
        if t[0] != "raises":
            t = getattr(lib.distributions, registry)(c)
            y = t(x)
            run["y"] = outcome(lambda y=y: y)
            run["in_constraint"] = outcome(lambda c=c, y=y: c.check(y).all())
            run["back"] = outcome(lambda t=t, y=y: t(t.inv(y)))
            ladj = outcome(lambda t=t, x=x, y=y: t.log_abs_det_jacobian(x, y))
            run["ladj"] = ladj
            loss = y.sum() + (t.log_abs_det_jacobian(x, y).sum() if ladj[0] == "tensor" else 0)
            run["grad"] = outcome(lambda lib=lib, loss=loss, x=x: lib.autograd.grad(loss, x)[0])
            run["types"] = ("other", [type(p).__name__ for p in getattr(t, "parts", [t])])
        found.append(run)
    ours, theirs = found
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert_same(ours[key], theirs[key], f"{name}.{key}", rtol=1e-8)


REGISTRY_SNIPPETS: dict[str, Callable[[Any], Any]] = {
    "register_number": lambda lib: (
        lib.distributions.constraint_registry.ConstraintRegistry().register(3, lambda c: None)
    ),
    "register_class": lambda lib: (
        lib.distributions.constraint_registry.ConstraintRegistry().register(int, lambda c: None)
    ),
    "empty_registry": lambda lib: lib.distributions.constraint_registry.ConstraintRegistry()(
        C(lib).real
    ),
    "not_a_constraint": lambda lib: lib.distributions.biject_to(3),
    "same_objects": lambda lib: (
        lib.distributions.biject_to is lib.distributions.constraint_registry.biject_to
    ),
}


@pytest.mark.parametrize("name", sorted(REGISTRY_SNIPPETS))
def test_registry_snippets_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: REGISTRY_SNIPPETS[name](lib)) for lib in LIBS)
    assert_same(ours, theirs, name)


def test_register_adds_and_decorates() -> None:
    registry = cr.distributions.constraint_registry.ConstraintRegistry()

    @registry.register(cr.distributions.constraints.positive)
    def softplus(c: Any) -> Any:
        return cr.distributions.SoftplusTransform()

    registry.register(type(cr.distributions.constraints.real), lambda c: softplus(c).inv)
    assert registry(cr.distributions.constraints.greater_than(3.0)) == softplus(None)
    assert repr(registry(cr.distributions.constraints.real)) == (
        "_InverseTransform(SoftplusTransform())"
    )


# ---- distributions built on these transforms, through the checks of test_torch_distributions
DIST_ROWS = [
    common.Row(
        "LogisticNormal",
        lambda lib, p: lib.distributions.LogisticNormal(p["loc"], p["scale"]),
        lambda r: {"loc": common.real(r, 2, 3), "scale": common.pos(r, 3)},
        exact_sampling=True,
    ),
    common.Row(
        "LogisticNormal_expanded",
        lambda lib, p: lib.distributions.LogisticNormal(p["loc"], 0.7).expand((4, 2)),
        lambda r: {"loc": common.real(r, 2, 3)},
        exact_sampling=True,
    ),
]
DIST_ROWS += [
    common.Row(
        "LowRankMultivariateNormal",
        lambda lib, p: lib.distributions.LowRankMultivariateNormal(
            p["loc"], p["cov_factor"], p["cov_diag"]
        ),
        lambda r: {
            "loc": common.real(r, 2, 3),
            "cov_factor": common.real(r, 3, 2),
            "cov_diag": common.pos(r, 3),
        },
        exact_sampling=True,
    ),
    common.Row(
        "LowRankMultivariateNormal_batched_factor",
        lambda lib, p: lib.distributions.LowRankMultivariateNormal(
            p["loc"], p["cov_factor"], p["cov_diag"]
        ),
        lambda r: {
            "loc": common.real(r, 4),
            "cov_factor": common.real(r, 2, 4, 1),
            "cov_diag": common.pos(r, 1, 4),
        },
        exact_sampling=True,
    ),
    common.Row(
        "LowRankMultivariateNormal_expanded",
        lambda lib, p: lib.distributions.LowRankMultivariateNormal(
            p["loc"], p["cov_factor"], p["cov_diag"]
        ).expand((3, 2)),
        lambda r: {
            "loc": common.real(r, 2, 3),
            "cov_factor": common.real(r, 3, 3),
            "cov_diag": common.pos(r, 3),
        },
        exact_sampling=True,
    ),
]


def pushed(lib: Any, base: Any, *transforms: Any) -> Any:
    return lib.distributions.TransformedDistribution(base, list(transforms))


DIST_ROWS += [
    common.Row(
        "Transformed_stick_breaking",
        lambda lib, p: pushed(
            lib, lib.distributions.Normal(p["loc"], p["scale"]), T(lib).StickBreakingTransform()
        ),
        lambda r: {"loc": common.real(r, 2, 3), "scale": common.pos(r, 3)},
        exact_sampling=True,
    ),
    common.Row(
        "Transformed_reshape_softplus",
        lambda lib, p: pushed(
            lib,
            lib.distributions.Normal(p["loc"], p["scale"]),
            T(lib).ReshapeTransform((2, 3), (3, 2)),
            T(lib).SoftplusTransform(),
        ),
        lambda r: {"loc": common.real(r, 4, 2, 3), "scale": common.pos(r, 3)},
        exact_sampling=True,
    ),
    common.Row(
        "Transformed_corr_cholesky",
        lambda lib, p: pushed(
            lib,
            lib.distributions.Independent(lib.distributions.Normal(p["loc"], p["scale"]), 1),
            T(lib).CorrCholeskyTransform(),
        ),
        lambda r: {"loc": common.real(r, 2, 3), "scale": common.pos(r, 3)},
        exact_sampling=True,
    ),
    common.Row(
        "Transformed_cdf",
        lambda lib, p: pushed(
            lib,
            lib.distributions.Normal(p["loc"], p["scale"]),
            T(lib).CumulativeDistributionTransform(
                lib.distributions.Normal(lib.tensor(0.5).double(), lib.tensor(2.0).double())
            ),
        ),
        lambda r: {"loc": common.real(r, 2, 3), "scale": common.pos(r, 3)},
        exact_sampling=True,
    ),
]
DIST_IDS = [row.name for row in DIST_ROWS]


@pytest.mark.parametrize("seed", common.SEEDS[:2])
@pytest.mark.parametrize("row", DIST_ROWS, ids=DIST_IDS)
def test_distribution_values_and_refusals_match_torch(row: Any, seed: int) -> None:
    common.test_values_shapes_and_errors_match_torch(row, seed)


@pytest.mark.parametrize("seed", common.SEEDS[:2])
@pytest.mark.parametrize("row", DIST_ROWS, ids=DIST_IDS)
def test_distribution_gradients_match_torch(row: Any, seed: int) -> None:
    common.test_gradients_to_parameters_match_torch(row, seed)


@pytest.mark.parametrize("row", DIST_ROWS, ids=DIST_IDS)
def test_distribution_second_order_and_float32_match_torch(row: Any) -> None:
    common.test_second_order_gradients_of_log_prob_match_torch(row)
    common.test_float32_parameters_give_torchs_dtypes_and_values(row)


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 1)])
@pytest.mark.parametrize("row", DIST_ROWS, ids=DIST_IDS)
def test_distribution_samples_match_torch(row: Any, sample_shape: Any) -> None:
    common.test_sample_shapes_and_seeded_samples_match_torch(row, sample_shape)
    common.test_rsample_gradients_match_torch_under_the_same_seed(row)


@pytest.mark.parametrize("row", [r for r in DIST_ROWS if "LowRank" in r.name], ids=lambda r: r.name)
@pytest.mark.parametrize("prop", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_low_rank_matrices_and_their_gradients_match_torch(row: Any, prop: str) -> None:
    arrays = row.params(np.random.default_rng(6))
    found = []
    for lib in LIBS:
        params = common.tensors(lib, arrays)
        m = getattr(row.build(lib, params), prop)
        weights = lib.arange(m.numel(), dtype=m.dtype).reshape(m.shape).sin()
        grads = lib.autograd.grad((m * weights).sum(), list(params.values()), allow_unused=True)
        found.append([outcome(lambda m=m: m)] + [None if g is None else plain(g) for g in grads])
    ours, theirs = found
    assert_same(ours[0], theirs[0], prop)
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        assert (a is None) == (b is None), prop
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=prop)


def low_rank(lib: Any, loc: Any, factor: Any, diag: Any, **kw: Any) -> Any:
    return lib.distributions.LowRankMultivariateNormal(
        lib.zeros(loc), lib.ones(factor), lib.ones(diag), **kw
    )


def low_rank_with(lib: Any, factor: float, diag: float) -> Any:
    """A constant factor and diagonal, validated."""
    return lib.distributions.LowRankMultivariateNormal(
        lib.zeros(3), lib.full((3, 2), factor), lib.full((3,), diag), validate_args=True
    )


def _raised(f: Callable[[], Any]) -> Any:
    try:
        f()
    except Exception as e:  # the exception itself is what is compared
        return e
    return None


DIST_SNIPPETS: dict[str, Callable[[Any], Any]] = {
    "low_rank_scalar_loc": lambda lib: low_rank(lib, (), (3, 2), (3,)),
    "low_rank_vector_factor": lambda lib: low_rank(lib, (3,), (3,), (3,)),
    "low_rank_factor_rows": lambda lib: low_rank(lib, (3,), (4, 2), (3,)),
    "low_rank_diag_size": lambda lib: low_rank(lib, (3,), (3, 2), (4,)),
    "low_rank_batches": lambda lib: low_rank(lib, (2, 3), (5, 3, 2), (3,)),
    "low_rank_repr": lambda lib: text(repr(low_rank(lib, (2, 3), (3, 2), (3,)))),
    "low_rank_expand_shapes": lambda lib: (
        lambda d: (
            [tuple(t.shape) for t in (d.loc, d.cov_factor, d.cov_diag)]
            + [tuple(d._unbroadcasted_cov_factor.shape), tuple(d._capacitance_tril.shape)]
        )
    )(low_rank(lib, (2, 3), (3, 2), (3,)).expand((4, 2))),
    "low_rank_constraints": lambda lib: text(
        repr(
            (
                lib.distributions.LowRankMultivariateNormal.arg_constraints,
                lib.distributions.LowRankMultivariateNormal.support,
            )
        )
    ),
    "low_rank_bad_value": lambda lib: (
        low_rank(lib, (3,), (3, 1), (3,), validate_args=True)
        .log_prob(lib.tensor([0.0, float("nan"), 1.0]))
        .shape
    ),
    # PyTorch factorizes before validating: a capacitance that is not positive definite fails
    # there (a RuntimeError, LinAlgError in both), a definite one reaches the constraint's message
    "low_rank_negative_diag": lambda lib: isinstance(
        _raised(lambda: low_rank_with(lib, 1.0, -1.0)), RuntimeError
    ),
    "low_rank_small_negative_diag": lambda lib: low_rank_with(lib, 0.1, -0.5),
    "logistic_normal_repr": lambda lib: text(
        repr(lib.distributions.LogisticNormal(lib.zeros(3), lib.ones(3)))
    ),
    "logistic_normal_support": lambda lib: text(
        repr(
            (
                lib.distributions.LogisticNormal.arg_constraints,
                lib.distributions.LogisticNormal.support,
            )
        )
    ),
    "logistic_normal_bad_scale": lambda lib: lib.distributions.LogisticNormal(
        lib.zeros(3), -lib.ones(3), validate_args=True
    ),
    "logistic_normal_off_simplex": lambda lib: lib.distributions.LogisticNormal(
        lib.zeros(2), lib.ones(2), validate_args=True
    ).log_prob(lib.tensor([0.5, 0.6, 0.1])),
    "logistic_normal_numbers": lambda lib: (
        lambda d: (
            d.loc.tolist(),
            tuple(d.batch_shape),
            tuple(d.event_shape),
            round(d.log_prob(lib.tensor([0.3, 0.7])).item(), 10),
        )
    )(lib.distributions.LogisticNormal(0.5, 2.0)),
}


@pytest.mark.parametrize("name", sorted(DIST_SNIPPETS))
def test_distribution_snippets_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: DIST_SNIPPETS[name](lib)) for lib in LIBS)
    if ours[0] == "other" and theirs[0] == "other":
        ours, theirs = ("other", text(repr(ours[1]))), ("other", text(repr(theirs[1])))
    assert_same(ours, theirs, name)


# ---- KL divergences PyTorch registers for the low-rank normal (with itself and with a full one)
def _normal(lib: Any, kind: str, seed: int, k: int = 3) -> tuple[Any, list[Any]]:
    r = np.random.default_rng(seed)
    loc = lib.tensor(r.standard_normal((2, k)), requires_grad=True)
    if kind == "low":
        factor = lib.tensor(r.standard_normal((2, k, 2)), requires_grad=True)
        diag = lib.tensor(r.uniform(0.5, 2.0, (2, k)), requires_grad=True)
        return lib.distributions.LowRankMultivariateNormal(loc, factor, diag), [loc, factor, diag]
    a = r.standard_normal((k, k))
    cov = lib.tensor(a @ a.T + k * np.eye(k), requires_grad=True)
    return lib.distributions.MultivariateNormal(loc, covariance_matrix=cov), [loc, cov]


@pytest.mark.parametrize(("p_kind", "q_kind"), [("low", "low"), ("low", "full"), ("full", "low")])
def test_low_rank_normal_kl_divergences_match_torch(p_kind: str, q_kind: str) -> None:
    results = []
    for lib in (cr, torch):
        (p, p_params), (q, q_params) = _normal(lib, p_kind, 0), _normal(lib, q_kind, 1)
        kl = lib.distributions.kl_divergence(p, q)
        kl.sum().backward()
        results.append([kl.detach().numpy(), *(x.grad.numpy() for x in p_params + q_params)])
        small = _normal(lib, p_kind, 2, k=2)[0]  # another event size: refused in its words
        with pytest.raises(ValueError) as refused:
            lib.distributions.kl_divergence(small, q)
        results[-1].append(str(refused.value))
    *ours, our_error = results[0]
    *theirs, their_error = results[1]
    assert our_error == their_error
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
