"""``chainrule.distributions``: the gamma-based samplers (their moments, and the implicit
reparameterization gradient of a gamma draw against finite differences of the regularized
incomplete gamma function), the transforms against PyTorch, and two tutorial steps (REINFORCE
and a VAE's reparameterization) whose gradients must equal PyTorch's under the same seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_torch_distributions import LIBS, ROWS, assert_same, outcome, plain

import chainrule as cr
from chainrule.distributions._gamma_sampler import standard_gamma, standard_gamma_grad
from chainrule.ops.special import lgamma

N = 20000  # draws per batch element


# ---- our own samplers (gamma draws by Marsaglia and Tsang's method for Gamma, Beta, Dirichlet,
# Chi2 and StudentT; Binomial by counting uniforms below p; not PyTorch's numbers): the sample
# mean within 5 standard errors of the mean for every batch element, the sample variance within
# 15% of the variance (a sampler 10% off in scale fails both)
MOMENT_ROWS = [r for r in ROWS if r.moments]


@pytest.mark.parametrize("row", MOMENT_ROWS, ids=lambda r: r.name)
def test_own_samplers_have_the_distributions_moments(row: Any) -> None:
    cr.manual_seed(0)
    d = row.build(cr, {k: cr.tensor(v) for k, v in row.params(np.random.default_rng(0)).items()})
    x = plain(d.sample((N,)))
    mean, var = plain(d.mean), plain(d.variance)
    z = (x.mean(0) - mean) / np.sqrt(var / N)
    assert np.abs(z).max() < 5, (row.name, z)
    if row.name != "StudentT":  # its fourth moment is infinite for df < 4
        np.testing.assert_allclose(x.var(0), var, rtol=0.15, err_msg=row.name)
    assert bool(d.support.check(cr.tensor(x)).all())


def test_binomial_counts_beyond_one_block_of_trials_have_the_moments() -> None:
    # 3000 trials are drawn in three blocks; each element stops at its own count
    cr.manual_seed(4)
    d = cr.distributions.Binomial(
        cr.tensor([3000.0, 1500.0, 7.0], dtype=cr.float64),
        cr.tensor([0.3, 0.9, 0.5], dtype=cr.float64),
    )
    n = 4000
    x = plain(d.sample((n,)))
    mean, var = plain(d.mean), plain(d.variance)
    assert np.abs((x.mean(0) - mean) / np.sqrt(var / n)).max() < 5
    np.testing.assert_allclose(x.var(0), var, rtol=0.1)
    assert (x <= np.array([3000, 1500, 7])).all()


def test_moment_rows_are_the_gamma_families() -> None:
    own = ["Beta", "Binomial_logits_counts", "Binomial_probs", "Chi2", "Dirichlet", "Gamma"]
    assert sorted(r.name for r in MOMENT_ROWS) == [*own, "StudentT"]


# ---- the implicit reparameterization gradient of a standard gamma draw
def test_gamma_draw_gradient_is_minus_dP_dalpha_over_the_density() -> None:
    # at fixed level P(alpha, x) = u, dx/dalpha = -(dP/dalpha) / f(x); dP/dalpha by central
    # differences of chainrule's gammainc (an independent code path), across shapes and tails
    r = np.random.default_rng(0)
    alpha = np.concatenate([r.uniform(0.05, 1, 300), r.uniform(1, 30, 300), r.uniform(30, 200, 50)])
    x = r.gamma(alpha).clip(1e-12)
    h = 1e-6 * np.maximum(alpha, 1)

    def p(a: Any) -> Any:
        return cr.special.gammainc(cr.tensor(a), cr.tensor(x)).numpy()

    density = np.exp((alpha - 1) * np.log(x) - x - lgamma(alpha))
    expected = -(p(alpha + h) - p(alpha - h)) / (2 * h) / density
    np.testing.assert_allclose(standard_gamma_grad(x, alpha), expected, rtol=2e-5, atol=1e-8)


def test_gamma_draw_gradient_is_the_same_computed_in_blocks() -> None:
    # more elements than one block of the series, with one far-out draw in the last block
    r = np.random.default_rng(1)
    alpha = r.uniform(0.2, 5, 40000)
    x = r.gamma(alpha)
    x[-1] = 60.0
    whole = standard_gamma_grad(x, alpha)
    parts = np.concatenate(
        [standard_gamma_grad(x[i : i + 1000], alpha[i : i + 1000]) for i in range(0, 40000, 1000)]
    )
    np.testing.assert_allclose(whole, parts, rtol=1e-12)
    assert np.isfinite(whole).all()


@pytest.mark.parametrize("through", ["draw", "product"])
def test_gamma_draws_refuse_a_second_derivative(through: str) -> None:
    # d2x/dalpha2 is not implemented: a second derivative that needs it raises, also where the
    # first gradient mixes the slope with other terms (x * alpha), never a silent zero
    alpha = cr.tensor([1.5, 3.0], dtype=cr.float64, requires_grad=True)
    x = standard_gamma(alpha)
    out = x if through == "draw" else x * alpha
    (g,) = cr.autograd.grad(out.sum(), alpha, create_graph=True)
    with pytest.raises(RuntimeError, match="second derivative of a gamma draw"):
        cr.autograd.grad(g.sum(), alpha)


def test_gamma_draws_give_first_gradients_under_create_graph() -> None:
    alpha = cr.tensor([1.5, 3.0], dtype=cr.float64, requires_grad=True)
    cr.manual_seed(3)
    (g,) = cr.autograd.grad(standard_gamma(alpha).sum(), alpha, create_graph=True)
    cr.manual_seed(3)
    (h,) = cr.autograd.grad(standard_gamma(alpha).sum(), alpha)
    np.testing.assert_array_equal(plain(g), plain(h))


def test_gamma_rsample_gradient_is_the_derivative_of_the_mean_on_average() -> None:
    cr.manual_seed(1)
    conc = cr.tensor([0.4, 2.0, 7.0], dtype=cr.float64, requires_grad=True)
    rate = cr.tensor([1.5, 0.5, 3.0], dtype=cr.float64, requires_grad=True)
    z = cr.distributions.Gamma(conc, rate).rsample((N,))
    z.mean(0).sum().backward()
    # d E[z] / d conc = 1 / rate, d E[z] / d rate = -conc / rate^2
    np.testing.assert_allclose(plain(conc.grad), 1 / np.array([1.5, 0.5, 3.0]), rtol=0.05)
    np.testing.assert_allclose(
        plain(rate.grad), -np.array([0.4, 2.0, 7.0]) / np.array([1.5, 0.5, 3.0]) ** 2, rtol=0.05
    )


@pytest.mark.parametrize("family", ["Beta", "Dirichlet"])
def test_beta_and_dirichlet_rsample_gradients_are_right_on_average(family: str) -> None:
    cr.manual_seed(2)
    a = cr.tensor([0.7, 2.0, 3.0], dtype=cr.float64, requires_grad=True)
    if family == "Beta":
        d = cr.distributions.Beta(a[0], a[1])
        z = d.rsample((N,))
        total = a[0] + a[1]
        expected = plain(cr.autograd.grad(a[0] / total, a)[0])
    else:
        d = cr.distributions.Dirichlet(a)
        z = d.rsample((N,))[..., 0]
        expected = plain(cr.autograd.grad(a[0] / a.sum(), a)[0])
    (got,) = cr.autograd.grad(z.mean(), a)
    np.testing.assert_allclose(plain(got), expected, rtol=0.1, atol=2e-3)


# ---- transforms: forward, inverse, log|det J|, shapes and gradients against PyTorch
def tr(lib: Any, name: str) -> Any:
    return getattr(lib.distributions.transforms, name)


TRANSFORMS: dict[str, tuple[Callable[[Any, Any], Any], tuple[int, ...]]] = {
    "exp": (lambda lib, p: tr(lib, "ExpTransform")(), (2, 3)),
    "affine": (lambda lib, p: tr(lib, "AffineTransform")(p, 2.5 * p), (2, 3)),
    "affine_event": (lambda lib, p: tr(lib, "AffineTransform")(p, -2.0, event_dim=1), (2, 3)),
    "sigmoid": (lambda lib, p: tr(lib, "SigmoidTransform")(), (2, 3)),
    "tanh": (lambda lib, p: tr(lib, "TanhTransform")(), (2, 3)),
    "power": (
        lambda lib, p: tr(lib, "ComposeTransform")(
            [tr(lib, "ExpTransform")(), tr(lib, "PowerTransform")(p.exp())]
        ),
        (2, 3),
    ),
    "inverse_exp": (lambda lib, p: tr(lib, "ExpTransform")().inv, (2, 3)),
    "compose_affine_sigmoid": (
        lambda lib, p: tr(lib, "ComposeTransform")(
            [tr(lib, "AffineTransform")(0.5, p), tr(lib, "SigmoidTransform")()]
        ),
        (2, 3),
    ),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_match_torch(name: str) -> None:
    build, shape = TRANSFORMS[name]
    rng = np.random.default_rng(0)
    x_np, p_np = rng.normal(size=shape) * 0.8, rng.normal(size=shape[-1:])
    found = []
    for lib in LIBS:
        x = lib.tensor(x_np, requires_grad=True)
        p = lib.tensor(p_np, requires_grad=True)
        t = build(lib, p)
        y = outcome(lambda t=t, x=x: t(x))
        run = {"y": y, "repr": outcome(lambda t=t: repr(t))}
        run["attrs"] = (outcome(lambda t=t: t.event_dim), t.bijective, t.domain, t.codomain)
        run["shapes"] = (
            outcome(lambda t=t: t.forward_shape(shape)),
            outcome(lambda t=t: t.inverse_shape(shape)),
        )
        run["sign"] = outcome(lambda t=t: t.sign)
        if y[0] == "tensor":
            yt = t(x)
            run["inverse"] = outcome(lambda t=t, yt=yt: t.inv(yt.detach()))
            ladj = outcome(lambda t=t, x=x, yt=yt: t.log_abs_det_jacobian(x, yt))
            run["ladj"] = ladj
            loss = yt.sum()
            if ladj[0] == "tensor":
                loss = loss + t.log_abs_det_jacobian(x, yt).sum()
            got = lib.autograd.grad(loss, [x, p], allow_unused=True)
            run["grads"] = [None if g is None else plain(g) for g in got]
        found.append(run)
    ours, theirs = found
    assert ours.keys() == theirs.keys()
    for key in ours:
        a, b = ours[key], theirs[key]
        if key == "grads":
            for ga, gb in zip(a, b, strict=True):
                assert (ga is None) == (gb is None), name
                if ga is not None:
                    np.testing.assert_allclose(ga, gb, rtol=1e-9, atol=1e-11, err_msg=name)
        elif key in ("attrs", "shapes"):
            assert str(a).replace("torch", "chainrule") == str(b).replace("torch", "chainrule")
        else:
            assert_same(a, b, f"{name}.{key}")


# ---- tutorial steps: the gradients of a REINFORCE step and of a VAE's loss equal PyTorch's
def reinforce_step(lib: Any) -> list[Any]:
    lib.manual_seed(0)
    policy = lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.Tanh(), lib.nn.Linear(16, 3))
    policy.double()
    states = lib.randn(8, 4, dtype=lib.float64)
    m = lib.distributions.Categorical(logits=policy(states))
    actions = m.sample()
    rewards = lib.randn(8, dtype=lib.float64)
    loss = -(m.log_prob(actions) * rewards).mean() - 0.01 * m.entropy().mean()
    loss.backward()
    return [plain(actions), plain(loss)] + [plain(q.grad) for q in policy.parameters()]


def vae_step(lib: Any) -> list[Any]:
    lib.manual_seed(1)
    encoder = lib.nn.Linear(6, 4).double()
    decoder = lib.nn.Linear(2, 6).double()
    x = lib.rand(5, 6, dtype=lib.float64)
    mu, log_var = encoder(x).chunk(2, dim=-1)
    q = lib.distributions.Normal(mu, lib.exp(0.5 * log_var))
    z = q.rsample()
    recon = lib.distributions.Normal(decoder(z), 1.0)
    prior = lib.distributions.Normal(lib.zeros_like(mu), lib.ones_like(mu))
    kl = lib.distributions.kl_divergence(q, prior).sum(-1)
    loss = (-recon.log_prob(x).sum(-1) + kl).mean()
    loss.backward()
    params = [*encoder.parameters(), *decoder.parameters()]
    return [plain(z), plain(loss)] + [plain(q.grad) for q in params]


@pytest.mark.parametrize("step", [reinforce_step, vae_step], ids=["reinforce", "vae"])
def test_tutorial_steps_give_torchs_gradients(step: Callable[[Any], list[Any]]) -> None:
    ours, theirs = (step(lib) for lib in LIBS)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
