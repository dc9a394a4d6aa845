"""``torch.nn.functional``'s activations, losses and distances and their ``nn`` Modules, against
PyTorch: the derivative at each kink and at nan and inf, the in-place variants, the Modules'
values, gradients and ``repr`` with the same weights, rrelu's draws, dtypes and errors.

The gradients away from the kinks are the op table's (``tests/op_table_nn_more.py``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as F

NAN, INF = float("nan"), float("inf")


def _numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def assert_same(ours: Any, theirs: Any, exact: bool = True) -> None:
    """Same shape, dtype and values (nan where nan; bit for bit, signed zeros included, if
    ``exact``)."""
    a, b = _numpy(ours), _numpy(theirs)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    if exact:
        numbers = ~np.isnan(b)  # a nan's sign bit is the CPU's whim (inf - inf gives -nan)
        np.testing.assert_array_equal(np.signbit(a[numbers]), np.signbit(b[numbers]))
        np.testing.assert_array_equal(a, b)
    else:
        tolerance = 1e-5 if a.dtype == np.float32 else 1e-7
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


# ----------------------------------------------------------------------------- kinks
# (name, chainrule call, torch call, points: the kinks, nan and inf, both sides of each kink)
ACTIVATIONS = [
    ("hardtanh", F.hardtanh, TF.hardtanh, [-1.0, 1.0, -1.5, 0.5, 1.5]),
    (
        "hardtanh_bounds",
        lambda x: F.hardtanh(x, -0.5, 2.0),
        lambda x: TF.hardtanh(x, -0.5, 2.0),
        [-0.5, 2.0, -0.6, 2.1],
    ),
    ("relu6", F.relu6, TF.relu6, [0.0, 6.0, -0.0, -1.0, 3.0, 7.0]),
    ("selu", F.selu, TF.selu, [0.0, -0.0, -1.0, 1.0, -30.0]),
    ("celu", lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7), [0.0, -0.0, -1.0, 1.0]),
    (
        "threshold",
        lambda x: F.threshold(x, 0.5, -2.0),
        lambda x: TF.threshold(x, 0.5, -2.0),
        [0.5, 0.4, 0.6],
    ),
    ("softshrink", F.softshrink, TF.softshrink, [-0.5, 0.5, -0.6, 0.0, 0.6, -0.2]),
    ("hardshrink", F.hardshrink, TF.hardshrink, [-0.5, 0.5, -0.6, 0.0, 0.6, -0.2]),
    ("hardswish", F.hardswish, TF.hardswish, [-3.0, 3.0, -3.5, -1.0, 0.0, 2.0, 3.5]),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, [-3.0, 3.0, -3.5, 0.0, 3.5]),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid, [0.0, -800.0, 800.0, -20.0, 20.0]),
    ("mish", F.mish, TF.mish, [0.0, -800.0, 800.0, -2.0, 2.0]),
    ("softsign", F.softsign, TF.softsign, [0.0, -0.0, -2.0, 3.0]),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink, [0.0, -2.0, 3.0]),
    ("rrelu_eval", F.rrelu, TF.rrelu, [0.0, -0.0, -2.0, 3.0]),
    (
        "prelu",
        lambda x: F.prelu(x, cr.tensor([0.3], dtype=x.dtype)),
        lambda x: TF.prelu(x, torch.tensor([0.3], dtype=x.dtype)),
        [0.0, -0.0, -2.0, 3.0],
    ),
    ("glu", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0), [0.0, -1.0, 2.0, 0.0, 5.0, -3.0]),
]


def _run(fn: Any, values: list[float], dtype: str, grad: list[float], lib: Any) -> tuple:
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
    y = fn(x)
    y.backward(lib.tensor(grad[: y.numel()], dtype=getattr(lib, dtype)).reshape(y.shape))
    return y, x.grad, y.grad_fn.name()


def _run_torch_elementwise(fn: Any, values: list[float], dtype: str, grad: list[float]) -> tuple:
    """PyTorch's results one element at a time: its vectorized kernels (16 float32 or 8 float64
    elements at a time) pass or block the gradient at a nan input otherwise than its scalar
    loop, which is the reference chainrule follows at every size."""
    runs = [_run(fn, [v], dtype, [g], torch) for v, g in zip(values, grad, strict=False)]
    return torch.cat([r[0] for r in runs]), torch.cat([r[1] for r in runs]), runs[0][2]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("name", "ours", "theirs", "points"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS]
)
def test_value_gradient_and_node_at_the_kinks_nan_and_inf_match_pytorch(
    name: str, ours: Any, theirs: Any, points: list[float], dtype: str
) -> None:
    values = points + ([NAN, INF, -INF] if name != "glu" else [])
    # Gradients with a nan, an inf and a negative: PyTorch's masked rules give +0.0 there.
    grad = [1.0, NAN, INF, -2.0, 0.5] * (len(values) // 5 + 1)
    y, g, node = _run(ours, values, dtype, grad, cr)
    if name == "glu":  # halves: no elementwise run (and no nan among the points)
        ty, tg, tnode = _run(theirs, values, dtype, grad, torch)
    else:
        ty, tg, tnode = _run_torch_elementwise(theirs, values, dtype, grad)
    assert node == tnode
    # Exact where PyTorch's kernel is a selection; libm's exp, log and tanh may differ by an ulp.
    exact = name not in ("selu", "celu", "logsigmoid", "mish", "glu")
    assert_same(y, ty, exact)
    assert_same(g, tg, exact)


# PyTorch has no second derivative of hardsigmoid; the smooth ones are the op table's.
PIECEWISE = [a for a in ACTIVATIONS[:11] if a[0] != "hardsigmoid"]


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "points"), PIECEWISE, ids=[a[0] for a in PIECEWISE]
)
def test_second_derivative_at_the_kinks_matches_pytorch(
    name: str, ours: Any, theirs: Any, points: list[float]
) -> None:
    results = []
    for lib in (cr, torch):
        x = lib.tensor(points, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((ours if lib is cr else theirs)(x).sum(), x, create_graph=True)
        # A 0/1 mask times a constant gradient: chainrule records nothing more (as for relu),
        # PyTorch a node whose derivative is zero.
        gg = None
        if g.requires_grad:
            weights = lib.arange(1.0, len(points) + 1, dtype=lib.float64)
            (gg,) = lib.autograd.grad((g * weights).sum(), x, allow_unused=True)
        results.append((g, gg if gg is not None else lib.zeros_like(x)))
    assert_same(results[0][0], results[1][0], exact=False)
    assert_same(results[0][1], results[1][1], exact=False)


# ----------------------------------------------------------------------------- in place
IN_PLACE = [
    ("relu_", lambda m, x: m.relu_(x)),
    ("leaky_relu_", lambda m, x: m.leaky_relu_(x, 0.2)),
    ("elu_", lambda m, x: m.elu_(x, 0.5)),
    ("hardtanh_", lambda m, x: m.hardtanh_(x, -0.5, 0.5)),
    ("selu_", lambda m, x: m.selu_(x)),
    ("celu_", lambda m, x: m.celu_(x, 2.0)),
    ("threshold_", lambda m, x: m.threshold_(x, 0.1, 9.0)),
    ("rrelu_", lambda m, x: m.rrelu_(x)),
]


@pytest.mark.parametrize(("name", "call"), IN_PLACE, ids=[n for n, _ in IN_PLACE])
def test_in_place_variants_change_their_input_and_its_history_as_pytorch(
    name: str, call: Any
) -> None:
    values = [-1.5, -0.2, 0.0, 0.3, 2.0]
    results = []
    for lib, m in ((cr, F), (torch, TF)):
        leaf = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        x = leaf * 1.0
        version = x._version
        out = call(m, x)
        assert out is x and x._version == version + 1
        x.backward(lib.arange(1.0, 6.0, dtype=lib.float64))
        results.append((x, leaf.grad, x.grad_fn.name()))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            call(m, lib.tensor(values, requires_grad=True))
    assert_same(results[0][0], results[1][0], exact=False)
    assert_same(results[0][1], results[1][1], exact=False)
    assert results[0][2] == results[1][2]


def test_rrelu_in_training_draws_pytorchs_slopes_from_the_same_seed() -> None:
    values = np.linspace(-2.0, 1.5, 15)
    for dtype in ("float32", "float64"):
        outputs = []
        for lib, m in ((cr, F), (torch, TF)):
            lib.manual_seed(7)
            x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
            y = m.rrelu(x, 0.1, 0.6, training=True)
            y.backward(lib.ones_like(y))
            after = lib.rand(2, dtype=lib.float64)  # the generator moved on by the same draws
            outputs.append((y, x.grad, after))
        for ours, theirs in zip(*outputs, strict=True):
            assert_same(ours, theirs)
    assert (
        F.rrelu(cr.tensor([-1.0]), training=False).item() == TF.rrelu(torch.tensor([-1.0])).item()
    )


# ----------------------------------------------------------------------------- Modules
def _modules(nn: Any) -> list[Any]:
    return [
        nn.Hardtanh(),
        nn.Hardtanh(-2.0, 0.5, inplace=True),
        nn.ReLU6(),
        nn.ReLU6(True),
        nn.ELU(),
        nn.ELU(0.5, inplace=True),
        nn.SELU(),
        nn.SELU(inplace=True),
        nn.CELU(1.5),
        nn.GLU(),
        nn.GLU(1),
        nn.Threshold(0.1, -3.0),
        nn.Threshold(0.1, 20, True),
        nn.Softshrink(),
        nn.Hardshrink(0.3),
        nn.Tanhshrink(),
        nn.LogSigmoid(),
        nn.Softsign(),
        nn.Mish(),
        nn.Mish(True),
        nn.Hardswish(),
        nn.Hardswish(True),
        nn.Hardsigmoid(),
        nn.Softmin(dim=1),
        nn.Softmax2d(),
        nn.RReLU(0.1, 0.3).eval(),
        nn.PReLU(),
        nn.PReLU(4, 0.1),
    ]


def test_activation_modules_print_and_compute_as_pytorchs() -> None:
    x = np.random.default_rng(0).normal(size=(2, 4, 3, 2)).astype(np.float32)
    for ours, theirs in zip(_modules(cr.nn), _modules(torch.nn), strict=True):
        assert repr(ours) == repr(theirs)
        for (name, p), (tname, tp) in zip(
            ours.named_parameters(), theirs.named_parameters(), strict=True
        ):
            assert name == tname
            p.data = cr.tensor(tp.detach().numpy() + np.float32(0.05))
            with torch.no_grad():
                tp.add_(0.05)
        a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(a * 1.0), theirs(b * 1.0)
        assert_same(y, ty, exact=False)
        y.backward(cr.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape))))
        ty.backward(torch.tensor(np.cos(np.arange(ty.numel())).reshape(tuple(ty.shape))))
        assert_same(a.grad, b.grad, exact=False)
        for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert_same(p.grad, tp.grad, exact=False)


def test_distance_modules_print_and_compute_as_pytorchs() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    for build in (
        lambda nn: nn.CosineSimilarity(),
        lambda nn: nn.CosineSimilarity(dim=0, eps=1e-3),
        lambda nn: nn.PairwiseDistance(),
        lambda nn: nn.PairwiseDistance(1.0, 1e-3, keepdim=True),
    ):
        outs = []
        for lib in (cr, torch):
            m = build(lib.nn)
            x1, x2 = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            y = m(x1, x2)
            y.sum().backward()
            outs.append((repr(m), y, x1.grad, x2.grad))
        assert outs[0][0] == outs[1][0]
        for ours, theirs in zip(outs[0][1:], outs[1][1:], strict=True):
            assert_same(ours, theirs, exact=False)


def test_softmax2d_and_prelu_refuse_what_pytorch_refuses() -> None:
    for lib in (cr, torch):
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
            lib.nn.Softmax2d()(lib.ones(2, 3))
        with pytest.raises(RuntimeError, match="parameter numbers = 2 and channel size = 3"):
            lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(2))


# ----------------------------------------------------------------------------- losses
def _pair(shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape)


SIGNS = [1.0, -1.0, -1.0, 1.0]
LABELS = [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
CLASSES = [2, 0, 1, 1]


def _loss_modules(nn: Any, lib: Any, r: str) -> list[tuple[Any, Any]]:
    """(module, inputs builder): the builder turns float64 arrays into the call's arguments."""
    signs = lib.tensor(SIGNS, dtype=lib.float64)
    return [
        (nn.SmoothL1Loss(reduction=r, beta=0.5), lambda a, b: (a, b)),
        (nn.HuberLoss(reduction=r, delta=0.3), lambda a, b: (a, b)),
        (nn.KLDivLoss(reduction=r), lambda a, b: (a, b.abs())),
        (nn.KLDivLoss(reduction=r, log_target=True), lambda a, b: (a, b)),
        (nn.MarginRankingLoss(0.2, reduction=r), lambda a, b: (a[:, 0], b[:, 0], signs)),
        (nn.HingeEmbeddingLoss(0.5, reduction=r), lambda a, b: (a[:, 0], signs)),
        (nn.SoftMarginLoss(reduction=r), lambda a, b: (a[:, 0], signs)),
        (nn.CosineEmbeddingLoss(0.1, reduction=r), lambda a, b: (a, b, signs)),
        (nn.TripletMarginLoss(reduction=r), lambda a, b: (a, b, a.flip(0) * b)),
        (nn.TripletMarginLoss(2.0, p=1, swap=True, reduction=r), lambda a, b: (a, b, a * b)),
        (nn.PoissonNLLLoss(reduction=r), lambda a, b: (a, b.abs() * 3)),
        (nn.PoissonNLLLoss(False, True, reduction=r), lambda a, b: (a.abs(), b.abs() * 3)),
        (nn.GaussianNLLLoss(reduction=r), lambda a, b: (a, b, a.abs()[:, 0])),
        (nn.GaussianNLLLoss(full=True, eps=0.1, reduction=r), lambda a, b: (a, b, b.abs())),
        (
            nn.MultiLabelSoftMarginLoss(reduction=r),
            lambda a, b: (a, lib.tensor(LABELS, dtype=lib.float64)),
        ),
        (
            nn.MultiLabelSoftMarginLoss(
                lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64), reduction=r
            ),
            lambda a, b: (a, lib.tensor(LABELS, dtype=lib.float64)),
        ),
        (nn.MultiMarginLoss(reduction=r), lambda a, b: (a, lib.tensor(CLASSES))),
        (
            nn.MultiMarginLoss(2, 0.5, lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64), reduction=r),
            lambda a, b: (a, lib.tensor(CLASSES)),
        ),
    ]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_compute_values_and_gradients_as_pytorchs(reduction: str) -> None:
    a, b = _pair((4, 3))
    results = []
    for lib in (cr, torch):
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's note on "mean"
            for module, inputs in _loss_modules(lib.nn, lib, reduction):
                x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
                loss = module(*inputs(x, y))
                loss.backward(lib.ones_like(loss))
                grads = [lib.zeros_like(x) if g is None else g for g in (x.grad, y.grad)]
                rows.append((repr(module), loss, *grads))
        results.append(rows)
    for ours, theirs in zip(*results, strict=True):
        assert ours[0] == theirs[0]
        for o, t in zip(ours[1:], theirs[1:], strict=True):
            assert_same(o, t, exact=False)


def test_kl_div_batchmean_warns_for_mean_and_takes_the_legacy_arguments_as_pytorch() -> None:
    a, b = _pair((4, 3))
    for lib in (cr, torch):
        x, y = lib.tensor(a), lib.tensor(np.abs(b))
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            lib.nn.functional.kl_div(x, y)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            batchmean = lib.nn.functional.kl_div(x, y, reduction="batchmean")
            lib.nn.KLDivLoss(reduction="batchmean")(x, y)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            legacy = lib.nn.functional.kl_div(x, y, reduce=False)
        assert tuple(legacy.shape) == (4, 3)
        np.testing.assert_allclose(batchmean.item(), legacy.sum().item() / 4)


def test_losses_refuse_a_target_pytorch_cannot_differentiate() -> None:
    for lib in (cr, torch):
        x = lib.ones(4, requires_grad=True)
        with pytest.raises(
            RuntimeError, match="not differentiable with respect to argument 'target'"
        ):
            lib.nn.functional.soft_margin_loss(x, lib.ones(4, requires_grad=True))
        with pytest.raises(
            RuntimeError, match="not differentiable with respect to argument 'weight'"
        ):
            lib.nn.functional.multi_margin_loss(
                lib.ones(2, 3), lib.tensor([0, 1]), weight=lib.ones(3, requires_grad=True)
            )


def test_native_pytorch_losses_without_forward_mode_agree_with_ours() -> None:
    """The op table compares pdist, soft_margin_loss and multi_margin_loss with compositions
    (PyTorch's own lack forward mode): here, their values and gradients against the natives."""
    a, b = _pair((5, 4), seed=3)
    calls = [
        lambda m, lib, x: m.pdist(x),
        lambda m, lib, x: m.pdist(x, 1.5),
        lambda m, lib, x: m.pdist(x, 0),
        lambda m, lib, x: m.pdist(x, float("inf")),
        lambda m, lib, x: m.soft_margin_loss(x, lib.tensor(b).sign()),
        lambda m, lib, x: m.multi_margin_loss(x, lib.tensor([3, 0, 1, 3, 2]), margin=0.7),
        lambda m, lib, x: m.multi_margin_loss(x[0], lib.tensor(2), reduction="none"),
        lambda m, lib, x: m.multi_margin_loss(
            x, lib.tensor([3, 0, 1, 3, 2]), p=2, reduction="none"
        ),
    ]
    for call in calls:
        results = []
        for lib, m in ((cr, F), (torch, TF)):
            x = lib.tensor(a, requires_grad=True)
            y = call(m, lib, x)
            y.backward(lib.ones_like(y))
            results.append((y, lib.zeros_like(x) if x.grad is None else x.grad, y.grad_fn.name()))
        assert_same(results[0][0], results[1][0], exact=False)
        assert_same(results[0][1], results[1][1], exact=False)
        assert results[0][2] == results[1][2]


def test_multi_margin_counts_a_class_only_where_the_margin_is_violated_strictly() -> None:
    # margin - x[y] + x[i] = 0 exactly for class 1: PyTorch's z > 0 leaves it out of the gradient
    values = [[0.0, 0.0, 1.0]]
    grads = []
    for lib, m in ((cr, F), (torch, TF)):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        m.multi_margin_loss(x, lib.tensor([2]), margin=1.0).backward()
        grads.append(x.grad)
    assert_same(grads[0], grads[1])


def test_smooth_l1_and_huber_broadcast_a_target_of_another_shape_with_pytorchs_warning() -> None:
    for lib in (cr, torch):
        for f in (lib.nn.functional.smooth_l1_loss, lib.nn.functional.huber_loss):
            with pytest.warns(UserWarning, match="Using a target size"):
                loss = f(lib.ones(2, 3), lib.zeros(3), reduction="none")
            assert tuple(loss.shape) == (2, 3)


# ----------------------------------------------------------------------------- distances
def test_cosine_similarity_and_normalize_at_zero_vectors_give_pytorchs_gradients() -> None:
    a = np.array([[0.0, 0.0, 0.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, 1.0, 1.0], [0.0, 1e-10, 0.0], [0.0, 0.0, 0.0]])
    results = []
    with np.errstate(divide="ignore", invalid="ignore"):  # the norm's 0/0, masked
        for lib, m in ((cr, F), (torch, TF)):
            x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            out = m.cosine_similarity(x, y) + m.normalize(x, eps=1e-3).sum(1)
            out.backward(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
            results.append((out, x.grad, y.grad))
    for ours, theirs in zip(*results, strict=True):
        assert_same(ours, theirs, exact=False)


def test_pairwise_distance_and_pdist_shapes_match_pytorch() -> None:
    for lib, m in ((cr, F), (torch, TF)):
        assert tuple(m.pairwise_distance(lib.ones(3), lib.zeros(2, 3)).shape) == (2,)
        assert tuple(m.pairwise_distance(lib.tensor(1.0), lib.tensor(3.0)).shape) == ()
        assert tuple(m.pdist(lib.ones(1, 3)).shape) == (0,)
        assert tuple(m.pdist(lib.ones(4, 3)).shape) == (6,)


# ----------------------------------------------------------------------------- dtypes, errors
def test_integer_inputs_compute_or_are_refused_as_pytorch() -> None:
    calls = [
        lambda m, x: m.hardtanh(x),
        lambda m, x: m.relu6(x),
        lambda m, x: m.threshold(x, 1, 5),
        lambda m, x: m.hardswish(x),
        lambda m, x: m.hardsigmoid(x),
        lambda m, x: m.softshrink(x),
        lambda m, x: m.hardshrink(x),
        lambda m, x: m.selu(x),
        lambda m, x: m.celu(x),
        lambda m, x: m.logsigmoid(x),
        lambda m, x: m.mish(x),
        lambda m, x: m.softsign(x),
    ]
    for call in calls:
        outcomes = []
        for lib, m in ((cr, F), (torch, TF)):
            try:
                y = call(m, lib.tensor([-2, 0, 3]))
                outcomes.append((str(y.dtype).split(".")[1], y.tolist()))
            except Exception as e:  # noqa: BLE001 - the type is what is compared
                outcomes.append((type(e).__name__, str(e)))
        assert outcomes[0][0] == outcomes[1][0]
        if outcomes[1][0] in ("int64", "float32"):
            np.testing.assert_allclose(outcomes[0][1], outcomes[1][1], rtol=1e-6)
        else:
            assert outcomes[0][1] == outcomes[1][1]


ERRORS = [
    lambda m, lib: m.hardtanh(lib.ones(2), 1.0, -1.0),
    lambda m, lib: m.glu(lib.ones(2, 3)),
    lambda m, lib: m.glu(lib.tensor(1.0)),
    lambda m, lib: m.softshrink(lib.ones(2), -0.5),
    lambda m, lib: m.softshrink(lib.ones(2, dtype=lib.float64), -1.0),
    lambda m, lib: m.celu(lib.ones(2), 0.0),
    lambda m, lib: m.rrelu(lib.ones(2), 0.5, 0.1),
    lambda m, lib: m.prelu(lib.ones(2, 3), lib.ones(1, 3)),
    lambda m, lib: m.prelu(lib.ones(3), lib.ones(3)),
    lambda m, lib: m.pdist(lib.ones(3)),
    lambda m, lib: m.pdist(lib.ones(3, 2), -1.0),
    lambda m, lib: m.cosine_similarity(lib.tensor([1, 2]), lib.tensor([1, 2]), dim=0),
    lambda m, lib: m.smooth_l1_loss(lib.ones(2), lib.ones(2), beta=-1.0),
    lambda m, lib: m.huber_loss(lib.ones(2), lib.ones(2), delta=0.0),
    lambda m, lib: m.huber_loss(lib.ones(2), lib.ones(2), weight=lib.ones(3)),
    lambda m, lib: m.huber_loss(lib.ones(2), lib.ones(2), reduction="max"),
    lambda m, lib: m.kl_div(lib.ones(2), lib.ones(2), reduction="max"),
    lambda m, lib: m.margin_ranking_loss(lib.ones(2), lib.ones(2), lib.ones(2, 1)),
    lambda m, lib: m.cosine_embedding_loss(lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 1)),
    lambda m, lib: m.cosine_embedding_loss(lib.ones(3), lib.ones(3), lib.ones(1)),
    lambda m, lib: m.triplet_margin_loss(lib.ones(2, 3), lib.ones(2, 3), lib.ones(3)),
    lambda m, lib: m.poisson_nll_loss(lib.ones(2), lib.ones(2), reduction="max"),
    lambda m, lib: m.gaussian_nll_loss(lib.ones(2, 3), lib.ones(2, 3), -1.0),
    lambda m, lib: m.gaussian_nll_loss(lib.ones(2, 3), lib.ones(2, 3), -lib.ones(2, 3)),
    lambda m, lib: m.gaussian_nll_loss(lib.ones(2, 3), lib.ones(2, 3), lib.ones(3, 2)),
    lambda m, lib: m.gaussian_nll_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), reduction="x"
    ),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 1]), p=3),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 3])),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 1, 2])),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 1]), weight=lib.ones(1, 3)),
    lambda m, lib: m.multilabel_soft_margin_loss(lib.ones(2, 3), lib.ones(2, 3), reduction="x"),
    lambda m, lib: lib.nn.TripletMarginLoss(margin=0.0),
    lambda m, lib: lib.nn.MultiMarginLoss(p=3),
    lambda m, lib: lib.nn.Hardtanh(1.0, -1.0),
    lambda m, lib: m.prelu(lib.ones(2, 3, dtype=lib.float64), lib.ones(3)),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3, 1), lib.tensor([0, 1])),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([[0], [1]])),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 1]), weight=lib.ones(2)),
    lambda m, lib: m.multi_margin_loss(lib.ones(2, 3), lib.tensor([0.0, 1.0])),
]


@pytest.mark.parametrize("call", ERRORS, ids=[f"error{i}" for i in range(len(ERRORS))])
def test_errors_have_pytorchs_type_and_message(call: Any) -> None:
    raised = []
    for lib, m in ((cr, F), (torch, TF)):
        with pytest.raises(Exception) as info:  # noqa: PT011 - compared below
            call(m, lib)
        raised.append(info.value)
    ours, theirs = raised
    assert type(ours) is type(theirs), (ours, theirs)
    if str(theirs) and "reduction" not in str(theirs):  # reduction: chainrule's own wording
        assert str(ours).splitlines()[0] == str(theirs).splitlines()[0].replace(
            "torch.", "chainrule."
        )


INPLACE_FLAG = [
    lambda m, x: m.hardtanh(x, inplace=True),
    lambda m, x: m.relu6(x, inplace=True),
    lambda m, x: m.selu(x, inplace=True),
    lambda m, x: m.celu(x, 0.5, inplace=True),
    lambda m, x: m.threshold(x, 0.1, 5.0, inplace=True),
    lambda m, x: m.mish(x, inplace=True),
    lambda m, x: m.hardswish(x, inplace=True),
    lambda m, x: m.hardsigmoid(x, inplace=True),
    lambda m, x: m.rrelu(x, inplace=True),
]


@pytest.mark.parametrize("call", INPLACE_FLAG, ids=[f"flag{i}" for i in range(len(INPLACE_FLAG))])
def test_inplace_true_changes_the_input_as_pytorch(call: Any) -> None:
    results = []
    for lib, m in ((cr, F), (torch, TF)):
        leaf = lib.tensor([-4.0, -0.5, 0.0, 0.3, 7.0], dtype=lib.float64, requires_grad=True)
        x = leaf * 2
        assert call(m, x) is x
        x.backward(lib.arange(1.0, 6.0, dtype=lib.float64))
        results.append((x, leaf.grad, x.grad_fn.name()))
    assert_same(results[0][0], results[1][0], exact=False)
    assert_same(results[0][1], results[1][1], exact=False)
    assert results[0][2] == results[1][2]
