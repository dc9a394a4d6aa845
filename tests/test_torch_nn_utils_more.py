"""``torch.nn.utils`` against PyTorch: parametrize, the weight-norm / spectral-norm /
orthogonal parametrizations, the older hook-based weight and spectral norm, functional_call,
batch-norm fusion, skip_init, gradient-norm helpers and parameters as a vector.

Each case is a function of the library (``chainrule`` or ``torch``): it seeds the library's
generator, builds modules (PyTorch's initial values for the same seed), applies the utility and
returns what it observes: values, gradients of the original parameters after a backward through
the parametrization, state-dict keys and shapes, buffers, class names, warnings. Results must
agree (float64 to 1e-7 relative, float32 to 1e-6 relative or absolute), and a case that raises
must raise the same exception type with the same message (``torch.`` read as ``chainrule.``).
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


# ---------------------------------------------------------------- running and comparing
def plain_result(x: Any) -> Any:
    if isinstance(x, cr.Tensor | torch.Tensor):
        values = x.detach().numpy() if isinstance(x, torch.Tensor) else x.detach().numpy()
        return ("tensor", str(x.dtype).split(".")[-1], np.array(values, copy=True))
    if isinstance(x, dict):
        return {k: plain_result(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain_result(v) for v in x]
    if isinstance(x, str):
        return x.replace("torch.", "chainrule.").replace("torch", "chainrule")
    return x


def assert_same_result(ours: Any, theirs: Any, path: str = "") -> None:
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert isinstance(ours, tuple) and ours[0] == "tensor", path
        assert ours[1] == theirs[1], f"{path}: dtype {ours[1]} != {theirs[1]}"
        assert ours[2].shape == theirs[2].shape, f"{path}: shape {ours[2].shape}"
        # float32 sums in another order differ in the last bits
        rtol, atol = (1e-6, 1e-6) if theirs[1] == "float32" else (1e-7, 1e-9)
        np.testing.assert_allclose(ours[2], theirs[2], rtol=rtol, atol=atol, err_msg=path)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{path}: keys"
        for k in theirs:
            assert_same_result(ours[k], theirs[k], f"{path}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours} {theirs}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_result(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-7, abs=1e-9), path
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def _outcome(case: Callable[[Any], Any], lib: Any) -> Any:
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: Any = ["ok", case(lib)]
        except Exception as e:  # noqa: BLE001 - the exception is the result compared
            result = ["error", type(e).__name__, str(e)]
    ours = [(w.category.__name__, str(w.message)) for w in caught]
    relevant = [w for w in ours if w[0] in ("FutureWarning", "UserWarning")]
    return plain_result([result, relevant])


def _grads(module: Any) -> dict[str, Any]:
    return {name: p.grad for name, p in module.named_parameters()}


def _state(module: Any) -> dict[str, Any]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def _train_step(lib: Any, module: Any, x_shape: tuple[int, ...]) -> list[Any]:
    """A forward and backward through ``module`` on a fixed input: the output and every
    parameter's gradient."""
    x = lib.tensor(np.linspace(-1.0, 1.0, int(np.prod(x_shape))).reshape(x_shape))
    out = module(x)
    (out * out).sum().backward()
    return [out, _grads(module)]


def _linear(lib: Any, i: int = 4, o: int = 3, bias: bool = True) -> Any:
    return lib.nn.Linear(i, o, bias=bias).double()


def _module_with(lib: Any, shape: tuple[int, ...]) -> Any:
    """A module whose only parameter ``weight`` has ``shape`` (seeded values)."""
    m = lib.nn.Module()
    m.weight = lib.nn.Parameter(lib.randn(*shape, dtype=lib.float64))
    return m


# ---------------------------------------------------------------- parametrize
def _symmetric(lib: Any) -> Any:
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def _scaled(lib: Any, factor: float) -> Any:
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, A):
            return A / factor

    return Scale()


def _split(lib: Any) -> Any:
    """A parametrization of two tensors: weight = A + B, right inverse (W, 0)."""

    class Sum(lib.nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, W):
            return W, lib.zeros_like(W)

    return Sum()


def _plain_map(lib: Any, fn: Callable[[Any], Any]) -> Any:
    class Map(lib.nn.Module):
        def forward(self, X):
            return fn(X)

    return Map()


def _parametrized_linear(lib: Any) -> Any:
    m = _linear(lib, 3, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _symmetric(lib))
    return [
        type(m).__name__,
        P.type_before_parametrizations(m).__name__,
        P.is_parametrized(m),
        P.is_parametrized(m, "weight"),
        P.is_parametrized(m, "bias"),
        _state(m),
        m.weight,
        m.parametrizations.weight.original,
        repr(m),
        *_train_step(lib, m, (2, 3)),
    ]


def _assign_through_right_inverse(lib: Any) -> Any:
    m = _linear(lib, 3, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _symmetric(lib))
    P.register_parametrization(m, "weight", _scaled(lib, 2.0))
    original = m.parametrizations.weight.original
    with lib.no_grad():
        m.weight = lib.arange(9.0, dtype=lib.float64).reshape(3, 3)
    return [
        m.weight,
        original,
        m.parametrizations.weight.original is original,
        len(m.parametrizations.weight),
        *_train_step(lib, m, (2, 3)),
    ]


def _two_originals(lib: Any) -> Any:
    m = _linear(lib)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _split(lib))
    P0 = m.parametrizations.weight
    out = [_state(m), P0.original0, P0.original1, *_train_step(lib, m, (2, 4))]
    with lib.no_grad():
        m.weight = lib.ones(3, 4, dtype=lib.float64)
    out += [P0.original0, P0.original1, m.weight]
    return out


def _two_originals_remove(leave: bool) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _linear(lib)
        P = lib.nn.utils.parametrize
        P.register_parametrization(m, "weight", _split(lib))
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        return [type(m).__name__, _state(m), m.weight, type(m.weight).__name__]

    return case


def _remove(leave: bool) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _linear(lib, 3, 3)
        P = lib.nn.utils.parametrize
        P.register_parametrization(m, "weight", _scaled(lib, 3.0))
        original = m.parametrizations.weight.original
        parametrized = m.weight.detach().clone()
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        return [
            type(m).__name__,
            hasattr(m, "parametrizations"),
            _state(m),
            m.weight,
            m.weight is original,
            type(m.weight).__name__,
            parametrized,
            list(dict(m.named_parameters())),
        ]

    return case


def _remove_one_of_two(lib: Any) -> Any:
    m = _linear(lib, 3, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _scaled(lib, 3.0))
    P.register_parametrization(m, "bias", _scaled(lib, 0.5))
    P.remove_parametrizations(m, "weight")
    return [type(m).__name__, _state(m), m.bias, P.is_parametrized(m, "bias")]


def _buffer_parametrized(lib: Any) -> Any:
    bn = lib.nn.BatchNorm1d(3).double()
    with lib.no_grad():
        bn.running_var.mul_(4.0)
    lib.nn.utils.parametrize.register_parametrization(bn, "running_var", _scaled(lib, 2.0))
    original = bn.parametrizations.running_var.original
    return [
        _state(bn),
        bn.running_var,
        original,
        type(original).__name__,
        [n for n, _ in bn.named_buffers()],
    ]


def _two_originals_of(which: str) -> Callable[[Any], Any]:
    """Two originals made from a buffer, or from a parameter that needs no gradient, then
    the parametrization removed (they stay buffers, or parameters without gradient)."""

    def case(lib: Any) -> Any:
        P = lib.nn.utils.parametrize
        if which == "buffer":
            m, name = lib.nn.BatchNorm1d(3).double(), "running_var"
        else:
            m, name = _linear(lib), "weight"
            m.weight.requires_grad_(False)
        P.register_parametrization(m, name, _split(lib))
        plist = getattr(m.parametrizations, name)
        out = [_state(m), type(plist.original0).__name__, plist.original1.requires_grad]
        P.remove_parametrizations(m, name)
        tensor = getattr(m, name)
        return [*out, _state(m), type(tensor).__name__, tensor.requires_grad, tensor]

    return case


def _cached(lib: Any) -> Any:
    calls = []

    def counted(X: Any) -> Any:
        calls.append(1)
        return X * 2

    m = _linear(lib, 3, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _plain_map(lib, counted))
    calls.clear()
    with P.cached():
        a, b = m.weight, m.weight
        inner = len(calls)
        same = a is b
    after = m.weight
    return [inner, same, len(calls), after]


def _unsafe_shape_change(lib: Any) -> Any:
    m = _linear(lib, 4, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _plain_map(lib, lambda X: X[:, :2]), unsafe=True)
    return [m.weight, m.parametrizations.weight.unsafe, _state(m)]


def _shape_change_refused(lib: Any) -> Any:
    m = _linear(lib, 4, 3)
    lib.nn.utils.parametrize.register_parametrization(
        m, "weight", _plain_map(lib, lambda X: X[:, :2])
    )


def _dtype_change_refused(lib: Any) -> Any:
    m = _linear(lib, 4, 3)
    lib.nn.utils.parametrize.register_parametrization(
        m, "weight", _plain_map(lib, lambda X: X.float())
    )


def _second_shape_change_refused(lib: Any) -> Any:
    m = _linear(lib, 4, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _scaled(lib, 2.0))
    P.register_parametrization(m, "weight", _plain_map(lib, lambda X: X[:, :2]))


def _second_dtype_change_refused(lib: Any) -> Any:
    m = _linear(lib, 4, 3)
    P = lib.nn.utils.parametrize
    P.register_parametrization(m, "weight", _scaled(lib, 2.0))
    P.register_parametrization(m, "weight", _plain_map(lib, lambda X: X.float()))


def _assign_without_right_inverse(lib: Any) -> Any:
    m = _linear(lib, 3, 3)
    lib.nn.utils.parametrize.register_parametrization(m, "weight", _plain_map(lib, lambda X: X))
    with lib.no_grad():
        m.weight = lib.zeros(3, 3, dtype=lib.float64)


def _parametrize_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        P = lib.nn.utils.parametrize
        m = _linear(lib, 2, 2)
        if which == "missing":
            P.register_parametrization(m, "nothing", _scaled(lib, 2.0))
        elif which == "remove_unparametrized":
            P.remove_parametrizations(m, "weight")
        elif which == "empty_list":
            P.ParametrizationList([], m.weight)
        elif which == "not_a_tensor":
            P.register_parametrization(m, "weight", _plain_map(lib, lambda X: 3))

    return case


def _odd_right_inverse(which: str) -> Callable[[Any], Any]:
    """A parametrization whose ``right_inverse`` returns what it should not, met when it is
    registered (first or appended) or when the tensor is assigned."""

    def case(lib: Any) -> Any:
        wrong = {
            "dtype": lambda A: A.float(),
            "shape": lambda A: A[:, :2],
            "number": lambda A: 3,
            "pair_with_number": lambda A: (A, 3),
            "short": lambda A: (A,),
        }[which.split(":")[1]]
        when = which.split(":")[0]

        class Odd(lib.nn.Module):
            def __init__(self, broken: bool) -> None:
                super().__init__()
                self.broken = broken

            def forward(self, *Xs):
                return Xs[0]

            def right_inverse(self, A):
                return wrong(A) if self.broken else (A, A)

        m = _linear(lib, 3, 3)
        P = lib.nn.utils.parametrize
        if when.startswith("first"):
            P.register_parametrization(m, "weight", Odd(True), unsafe=when == "first_unsafe")
        elif when == "appended":
            P.register_parametrization(m, "weight", _scaled(lib, 2.0))
            P.register_parametrization(m, "weight", Odd(True))
        else:
            P.register_parametrization(m, "weight", Odd(False))
            m.parametrizations.weight[0].broken = True
            with lib.no_grad():
                m.weight = lib.ones(3, 3, dtype=lib.float64)
        return [_state(m), m.weight]

    return case


def _assign_parameter_to_parametrized(lib: Any) -> Any:
    m = _linear(lib, 3, 3)
    lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
    m.weight = lib.nn.Parameter(lib.zeros(3, 3, dtype=lib.float64))


def _transfer(lib: Any) -> Any:
    P = lib.nn.utils.parametrize
    a, b = _linear(lib, 3, 3), _linear(lib, 3, 3)
    P.register_parametrization(a, "weight", _symmetric(lib))
    P.transfer_parametrizations_and_params(a, b)
    shared = b.parametrizations.weight.original is a.parametrizations.weight.original
    return [type(b).__name__, _state(b), shared, b.weight]


def _transfer_two_originals(to: str) -> Callable[[Any], Any]:
    """Weight norm's two originals transferred by name, to a Linear or to a module without
    the tensor (which gets it as a new parameter first)."""

    def case(lib: Any) -> Any:
        P = lib.nn.utils.parametrize
        a = lib.nn.utils.parametrizations.weight_norm(_linear(lib))
        b = _linear(lib) if to == "linear" else lib.nn.Module()
        P.transfer_parametrizations_and_params(a, b, "weight")
        shared = [
            getattr(b.parametrizations.weight, n) is getattr(a.parametrizations.weight, n)
            for n in ("original0", "original1")
        ]
        return [type(b).__name__, _state(b), shared, b.weight, P.is_parametrized(b, "bias")]

    return case


def _optimizer_step_through_parametrization(lib: Any) -> Any:
    m = _linear(lib, 3, 3)
    lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
    opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    out = []
    for _ in range(3):
        opt.zero_grad()
        _train_step(lib, m, (2, 3))
        opt.step()
        out.append(m.weight.detach().clone())
    return out


# ---------------------------------------------------------------- parametrizations
def _new_weight_norm(make: Callable[[Any], Any], dim: Any, x_shape: tuple[int, ...]) -> Any:
    def case(lib: Any) -> Any:
        m = make(lib)
        lib.nn.utils.parametrizations.weight_norm(m, dim=dim)
        P = m.parametrizations.weight
        return [_state(m), P.original0, P.original1, m.weight, *_train_step(lib, m, x_shape)]

    return case


def _conv2d(lib: Any) -> Any:
    return lib.nn.Conv2d(2, 3, 2).double()


def _conv_t2d(lib: Any) -> Any:
    return lib.nn.ConvTranspose2d(2, 3, 2).double()


def _new_spectral_norm(make: Callable[[Any], Any], x_shape: tuple[int, ...], **kw: Any) -> Any:
    def case(lib: Any) -> Any:
        m = make(lib)
        lib.nn.utils.parametrizations.spectral_norm(m, **kw)
        P = m.parametrizations.weight
        out = [_state(m), [n for n, _ in m.named_buffers()], P[0]._u, P[0]._v, m.weight]
        out += _train_step(lib, m, x_shape)
        out += [P[0]._u, P[0]._v]
        m.eval()
        out += [m.weight, P[0]._u, m(lib.ones(x_shape, dtype=lib.float64))]
        return out

    return case


def _spectral_norm_1d(lib: Any) -> Any:
    m = _linear(lib)
    lib.nn.utils.parametrizations.spectral_norm(m, "bias")
    return [_state(m), m.bias, *_train_step(lib, m, (2, 4))]


def _spectral_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _linear(lib)
        sn = lib.nn.utils.parametrizations.spectral_norm
        if which == "dim":
            sn(m, dim=2)
        elif which == "iterations":
            sn(m, n_power_iterations=0)
        elif which == "name":
            sn(m, "nothing")

    return case


def _orthogonal(shape: tuple[int, ...], omap: Any, trivial: bool = True) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _module_with(lib, shape)
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=trivial)
        P = m.parametrizations.weight
        W = m.weight
        k = min(shape[-2:])
        small = W.mT @ W if shape[-2] >= shape[-1] else W @ W.mT
        eye = lib.eye(k, dtype=lib.float64)
        out = [_state(m), P.original, W, bool(lib.allclose(small, eye.expand_as(small)))]
        out.append(getattr(P[0], "base", "no base"))
        (W * lib.arange(W.numel(), dtype=lib.float64).reshape(W.shape)).sum().backward()
        out.append(P.original.grad)
        return out

    return case


def _orthogonal_assign(shape: tuple[int, ...], omap: str, trivial: bool) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _module_with(lib, shape)
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=trivial)
        target = lib.randn(*shape, dtype=lib.float64)
        with lib.no_grad():
            m.weight = target
        return [m.parametrizations.weight.original, m.weight]

    return case


def _orthogonal_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        orth = lib.nn.utils.parametrizations.orthogonal
        if which == "vector":
            orth(_module_with(lib, (3,)))
        elif which == "map":
            orth(_module_with(lib, (3, 3)), orthogonal_map="qr")
        elif which == "name":
            orth(_module_with(lib, (3, 3)), "nothing")
        elif which == "assign_shape":
            m = orth(_module_with(lib, (3, 3)))
            with lib.no_grad():
                m.weight = lib.zeros(2, 3, dtype=lib.float64)
        elif which == "assign_no_trivialization":
            m = orth(_module_with(lib, (3, 3)), use_trivialization=False)
            with lib.no_grad():
                m.weight = lib.eye(3, dtype=lib.float64)

    return case


# ---------------------------------------------------------------- hook-based norms
def _old_weight_norm(make: Callable[[Any], Any], dim: Any, x_shape: tuple[int, ...]) -> Any:
    def case(lib: Any) -> Any:
        m = make(lib)
        lib.nn.utils.weight_norm(m, dim=dim)
        out = [_state(m), m.weight_g, m.weight_v, m.weight, type(m.weight).__name__]
        out += _train_step(lib, m, x_shape)
        with lib.no_grad():
            m.weight_v.mul_(2.0)
            m.weight_g.add_(1.0)
        out += [m(lib.ones(x_shape, dtype=lib.float64)), m.weight]
        lib.nn.utils.remove_weight_norm(m)
        out += [_state(m), m.weight, type(m.weight).__name__]
        return out

    return case


def _old_weight_norm_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _linear(lib)
        if which == "twice":
            lib.nn.utils.weight_norm(m)
            lib.nn.utils.weight_norm(m)
        elif which == "remove_missing":
            lib.nn.utils.remove_weight_norm(m)

    return case


def _old_spectral_norm(make: Callable[[Any], Any], x_shape: tuple[int, ...], **kw: Any) -> Any:
    def case(lib: Any) -> Any:
        m = make(lib)
        lib.nn.utils.spectral_norm(m, **kw)
        out = [_state(m), m.weight_u, m.weight_v, m.weight]
        out += _train_step(lib, m, x_shape)
        out += [m.weight_u, m.weight_v, m.weight]
        m.eval()
        out += [m(lib.ones(x_shape, dtype=lib.float64)), m.weight_u, m.weight]
        lib.nn.utils.remove_spectral_norm(m)
        out += [_state(m), m.weight, type(m.weight).__name__]
        return out

    return case


def _old_spectral_norm_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        m = _linear(lib)
        if which == "twice":
            lib.nn.utils.spectral_norm(m)
            lib.nn.utils.spectral_norm(m)
        elif which == "remove_missing":
            lib.nn.utils.remove_spectral_norm(m)
        elif which == "no_bias":
            lib.nn.utils.spectral_norm(_linear(lib, bias=False), "bias")
        elif which == "iterations":
            lib.nn.utils.spectral_norm(m, n_power_iterations=0)

    return case


def _lazy_refused(which: str) -> Callable[[Any], Any]:
    """Each utility refuses a lazy module's parameter: its shape is not known yet."""

    def case(lib: Any) -> Any:
        utils = lib.nn.utils
        fn = {
            "old_weight_norm": utils.weight_norm,
            "old_spectral_norm": utils.spectral_norm,
            "weight_norm": utils.parametrizations.weight_norm,
            "spectral_norm": utils.parametrizations.spectral_norm,
        }[which]
        fn(lib.nn.LazyLinear(3))

    return case


# ---------------------------------------------------------------- the rest
def _functional_call(lib: Any) -> Any:
    m = _linear(lib, 2, 1)
    params = {"weight": lib.ones(1, 2, dtype=lib.float64), "bias": lib.zeros(1, dtype=lib.float64)}
    x = lib.tensor([[1.0, 2.0]], dtype=lib.float64)
    return [lib.nn.utils.stateless.functional_call(m, params, x), m(x)]


def _functional_call_through_parametrization(lib: Any) -> Any:
    """The original of a parametrized weight replaced for one call (its gradient flows to
    the tensor given)."""
    m = _linear(lib, 3, 3)
    lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
    given = lib.arange(9.0, dtype=lib.float64).reshape(3, 3).requires_grad_()
    x = lib.ones(2, 3, dtype=lib.float64)
    out = lib.func.functional_call(m, {"parametrizations.weight.original": given}, (x,))
    out.sum().backward()
    return [out, given.grad, m.parametrizations.weight.original.grad, m(x)]


def _functional_call_strict(lib: Any) -> Any:
    m = _linear(lib, 2, 1)
    lib.nn.utils.stateless.functional_call(
        m, {"weight": lib.ones(1, 2)}, lib.ones(1, 2), strict=True
    )


def _functional_call_tied(given: str, tie_weights: bool = True) -> Callable[[Any], Any]:
    """A module whose ``b.weight`` is ``a.weight``: a value given for one name reaches both
    under ``tie_weights`` (b kept the old weight, silently), two different values for them are
    refused, and a name of no parameter is set for the call and removed after."""

    def case(lib: Any) -> Any:
        class Tied(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.a, self.b = _linear(lib, 2, 2), _linear(lib, 2, 2)
                self.b.weight = self.a.weight

            def forward(self, x: Any) -> Any:
                return self.a(x) + 2 * self.b(x) + getattr(self, "extra", 0)

        m = Tied()
        eye, x = lib.eye(2, dtype=lib.float64), lib.tensor([[1.0, 2.0]], dtype=lib.float64)
        values = {
            "a": {"a.weight": eye},
            "both same": {"a.weight": eye, "b.weight": eye},
            "both different": {"a.weight": eye, "b.weight": 2 * eye},
            "b and unknown": {"b.weight": eye, "extra": lib.tensor(5.0, dtype=lib.float64)},
        }[given]
        out = lib.func.functional_call(m, values, (x,), tie_weights=tie_weights)
        return [out, m(x), hasattr(m, "extra")]

    return case


def _bn(lib: Any, cls: str, n: int, affine: bool = True) -> Any:
    bn = getattr(lib.nn, cls)(n, affine=affine).double()
    with lib.no_grad():
        bn.running_mean.copy_(lib.randn(n, dtype=lib.float64))
        bn.running_var.copy_(lib.rand(n, dtype=lib.float64) + 0.5)
        if affine:
            bn.weight.copy_(lib.randn(n, dtype=lib.float64))
            bn.bias.copy_(lib.randn(n, dtype=lib.float64))
    return bn.eval()


def _fuse_conv(
    conv_cls: str, bn_cls: str, x_shape: tuple[int, ...], bias: bool = True, affine: bool = True
) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        transpose = "Transpose" in conv_cls
        conv = getattr(lib.nn, conv_cls)(2, 3, 2, bias=bias).double().eval()
        bn = _bn(lib, bn_cls, 3, affine)
        fused = lib.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        x = lib.randn(*x_shape, dtype=lib.float64)
        return [
            fused(x),
            bn(conv(x)),
            fused.weight,
            fused.bias,
            fused.weight.requires_grad,
            fused.bias.requires_grad,
            type(fused.bias).__name__,
            fused is conv,
        ]

    return case


def _fuse_linear(bias: bool, features: int = 3) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        linear = _linear(lib, 4, 3, bias=bias).eval()
        bn = _bn(lib, "BatchNorm1d", features)
        fused = lib.nn.utils.fuse_linear_bn_eval(linear, bn)
        x = lib.randn(5, 4, dtype=lib.float64)
        reference = bn(linear(x)) if features == 3 else "bn of one feature takes (N, 1)"
        return [fused(x), reference, fused.weight, fused.bias, fused.bias.requires_grad]

    return case


def _fuse_weights_directly(lib: Any) -> Any:
    w = lib.randn(3, 2, 2, 2, dtype=lib.float64, requires_grad=True)
    rm, rv = lib.randn(3, dtype=lib.float64), lib.rand(3, dtype=lib.float64) + 1
    fw, fb = lib.nn.utils.fuse_conv_bn_weights(w, None, rm, rv, 1e-3, None, None)
    lw, lb = lib.nn.utils.fuse_linear_bn_weights(
        lib.randn(3, 4, dtype=lib.float64), lib.randn(3, dtype=lib.float64), rm, rv, 1e-5,
        lib.randn(3, dtype=lib.float64), lib.randn(3, dtype=lib.float64),
    )  # fmt: skip
    return [fw, fb, fw.requires_grad, fb.requires_grad, fw.is_leaf, lw, lb]


def _fusion_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        conv = lib.nn.Conv2d(2, 3, 2)
        bn = lib.nn.BatchNorm2d(3)
        if which == "training":
            lib.nn.utils.fuse_conv_bn_eval(conv, bn)
        elif which == "linear_training":
            lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3).eval())
        elif which == "features":
            lib.nn.utils.fuse_linear_bn_eval(
                lib.nn.Linear(2, 3).eval(), lib.nn.BatchNorm1d(2).eval()
            )
        elif which == "no_stats":
            bn = lib.nn.BatchNorm2d(3, track_running_stats=False).eval()
            lib.nn.utils.fuse_conv_bn_eval(conv.eval(), bn)

    return case


def _skip_init(lib: Any) -> Any:
    m = lib.nn.utils.skip_init(lib.nn.Linear, 3, 2)
    after = lib.rand(3)
    m2 = lib.nn.utils.skip_init(lib.nn.Linear, in_features=6, out_features=1, bias=False)
    return [type(m).__name__, _state(m), after, _state(m2), m.weight.requires_grad]


def _skip_init_errors(which: str) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        if which == "not_module":
            lib.nn.utils.skip_init(int, 3)
        elif which == "no_device":
            lib.nn.utils.skip_init(lib.nn.ReLU)

    return case


def _grads_of(lib: Any, dtype: Any = None) -> list[Any]:
    dtype = dtype or lib.float64
    ps = [lib.nn.Parameter(lib.randn(*s, dtype=dtype)) for s in [(3, 2), (4,), (2, 2, 2)]]
    for i, p in enumerate(ps):
        p.grad = lib.randn(*p.shape, dtype=dtype) * (i + 1)
    ps.append(lib.nn.Parameter(lib.ones(2, dtype=dtype)))  # no gradient
    return ps


def _total_norm(norm_type: Any, dtype: str = "float64") -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        ps = _grads_of(lib, getattr(lib, dtype))
        grads = [p.grad for p in ps if p.grad is not None]
        return [
            lib.nn.utils.get_total_norm(grads, norm_type),
            lib.nn.utils.get_total_norm(grads[0], norm_type),
        ]

    return case


def _clip_with_norm(lib: Any) -> Any:
    ps = _grads_of(lib)
    total = lib.nn.utils.get_total_norm([p.grad for p in ps if p.grad is not None])
    lib.nn.utils.clip_grads_with_norm_(ps, 2.5, total)
    big = _grads_of(lib)
    lib.nn.utils.clip_grads_with_norm_(big, 1e6, total)
    return [total, [p.grad for p in ps], [p.grad for p in big]]


def _clip_grad_norm_deprecated(lib: Any) -> Any:
    ps = _grads_of(lib)
    total = lib.nn.utils.clip_grad_norm(ps, 1.5, norm_type=3.0)
    return [total, [p.grad for p in ps]]


def _clip_float32(lib: Any) -> Any:
    ps = _grads_of(lib, lib.float32)
    total = lib.nn.utils.clip_grad_norm_(ps, 0.7)
    return [total, [p.grad for p in ps]]


def _clip_empty_generator(lib: Any) -> Any:
    return lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def _total_norm_nonfinite(lib: Any) -> Any:
    lib.nn.utils.get_total_norm([lib.tensor([1.0, float("inf")])], error_if_nonfinite=True)


def _total_norm_empty(lib: Any) -> Any:
    return lib.nn.utils.get_total_norm([])


def _vector_roundtrip(lib: Any) -> Any:
    m = _linear(lib, 3, 2)
    vec = lib.nn.utils.parameters_to_vector(m.parameters())
    new = lib.arange(vec.numel(), dtype=lib.float64)
    lib.nn.utils.vector_to_parameters(new, m.parameters())
    new.mul_(10.0)  # the parameters share the vector's memory, as PyTorch's
    return [vec, m.weight, m.bias, type(m.weight).__name__]


def _vector_not_a_tensor(lib: Any) -> Any:
    lib.nn.utils.vector_to_parameters([1.0, 2.0], [lib.nn.Parameter(lib.zeros(2))])


def _channels_last_weights(lib: Any) -> Any:
    lib.manual_seed(0)
    net = lib.nn.Sequential(
        lib.nn.Conv2d(2, 3, 2),
        lib.nn.Sequential(lib.nn.ConvTranspose2d(3, 2, 2), lib.nn.Conv3d(1, 1, 1)),
        lib.nn.ConvTranspose3d(1, 2, 2),
    )
    weight = net[0].weight
    two = lib.nn.utils.convert_conv2d_weight_memory_format(net, lib.channels_last)
    three = lib.nn.utils.convert_conv3d_weight_memory_format(net, lib.channels_last_3d)
    x = lib.arange(32.0).reshape(1, 2, 4, 4)
    return [
        two is net and three is net,
        net[0].weight is weight,
        [p.stride() for p in net.parameters()],
        net[1](net[0](x)),
    ]


CASES: dict[str, Callable[[Any], Any]] = {
    "memory_format_of_conv_weights": _channels_last_weights,
    "parametrize_symmetric_linear": _parametrized_linear,
    "parametrize_assign_right_inverse": _assign_through_right_inverse,
    "parametrize_two_originals": _two_originals,
    "parametrize_two_originals_remove_leave": _two_originals_remove(True),
    "parametrize_two_originals_remove_unparametrized": _two_originals_remove(False),
    "parametrize_remove_leave_parametrized": _remove(True),
    "parametrize_remove_original": _remove(False),
    "parametrize_remove_one_of_two": _remove_one_of_two,
    "parametrize_buffer": _buffer_parametrized,
    "parametrize_cached": _cached,
    "parametrize_two_originals_of_a_buffer": _two_originals_of("buffer"),
    "parametrize_two_originals_without_grad": _two_originals_of("no_grad"),
    "parametrize_unsafe_shape_change": _unsafe_shape_change,
    "parametrize_shape_change_refused": _shape_change_refused,
    "parametrize_dtype_change_refused": _dtype_change_refused,
    "parametrize_second_shape_change_refused": _second_shape_change_refused,
    "parametrize_second_dtype_change_refused": _second_dtype_change_refused,
    "parametrize_assign_without_right_inverse": _assign_without_right_inverse,
    "parametrize_missing_name": _parametrize_errors("missing"),
    "parametrize_remove_unparametrized": _parametrize_errors("remove_unparametrized"),
    "parametrize_empty_list": _parametrize_errors("empty_list"),
    "parametrize_not_a_tensor": _parametrize_errors("not_a_tensor"),
    "parametrize_transfer": _transfer,
    "parametrize_transfer_two_originals": _transfer_two_originals("linear"),
    "parametrize_transfer_to_a_module_without_it": _transfer_two_originals("bare"),
    "parametrize_assign_a_parameter_refused": _assign_parameter_to_parametrized,
    "parametrize_sgd_steps": _optimizer_step_through_parametrization,
    "weight_norm_linear_dim0": _new_weight_norm(_linear, 0, (2, 4)),
    "weight_norm_linear_dim1": _new_weight_norm(_linear, 1, (2, 4)),
    "weight_norm_linear_dim_none": _new_weight_norm(_linear, None, (2, 4)),
    "weight_norm_linear_dim_minus1": _new_weight_norm(_linear, -1, (2, 4)),
    "weight_norm_conv2d_dim0": _new_weight_norm(_conv2d, 0, (1, 2, 4, 4)),
    "weight_norm_conv2d_dim2": _new_weight_norm(_conv2d, 2, (1, 2, 4, 4)),
    "weight_norm_conv2d_dim_minus2": _new_weight_norm(_conv2d, -2, (1, 2, 4, 4)),
    "spectral_norm_linear": _new_spectral_norm(_linear, (2, 4)),
    "spectral_norm_linear_3_iterations": _new_spectral_norm(
        _linear, (2, 4), n_power_iterations=3, eps=1e-6
    ),
    "spectral_norm_conv2d": _new_spectral_norm(_conv2d, (1, 2, 4, 4)),
    "spectral_norm_conv_transpose2d": _new_spectral_norm(_conv_t2d, (1, 2, 3, 3)),
    "spectral_norm_conv2d_dim_minus1": _new_spectral_norm(_conv2d, (1, 2, 4, 4), dim=-1),
    "spectral_norm_bias_vector": _spectral_norm_1d,
    "spectral_norm_bad_dim": _spectral_errors("dim"),
    "spectral_norm_no_iterations": _spectral_errors("iterations"),
    "spectral_norm_missing_name": _spectral_errors("name"),
    "orthogonal_bad_vector": _orthogonal_errors("vector"),
    "orthogonal_bad_map": _orthogonal_errors("map"),
    "orthogonal_missing_name": _orthogonal_errors("name"),
    "orthogonal_assign_wrong_shape": _orthogonal_errors("assign_shape"),
    "orthogonal_assign_exp_without_trivialization": _orthogonal_errors("assign_no_trivialization"),
    "old_weight_norm_linear": _old_weight_norm(_linear, 0, (2, 4)),
    "old_weight_norm_linear_dim_none": _old_weight_norm(_linear, None, (2, 4)),
    "old_weight_norm_conv2d_dim1": _old_weight_norm(_conv2d, 1, (1, 2, 4, 4)),
    "old_weight_norm_twice": _old_weight_norm_errors("twice"),
    "old_weight_norm_remove_missing": _old_weight_norm_errors("remove_missing"),
    "old_spectral_norm_linear": _old_spectral_norm(_linear, (2, 4)),
    "old_spectral_norm_conv2d_iterations": _old_spectral_norm(
        _conv2d, (1, 2, 4, 4), n_power_iterations=2
    ),
    "old_spectral_norm_conv_transpose2d": _old_spectral_norm(_conv_t2d, (1, 2, 3, 3)),
    "old_spectral_norm_twice": _old_spectral_norm_errors("twice"),
    "old_spectral_norm_remove_missing": _old_spectral_norm_errors("remove_missing"),
    "old_spectral_norm_none_parameter": _old_spectral_norm_errors("no_bias"),
    "old_spectral_norm_no_iterations": _old_spectral_norm_errors("iterations"),
    "old_weight_norm_lazy_refused": _lazy_refused("old_weight_norm"),
    "old_spectral_norm_lazy_refused": _lazy_refused("old_spectral_norm"),
    "weight_norm_lazy_refused": _lazy_refused("weight_norm"),
    "spectral_norm_lazy_refused": _lazy_refused("spectral_norm"),
    "stateless_functional_call": _functional_call,
    "stateless_functional_call_strict": _functional_call_strict,
    "functional_call_through_parametrization": _functional_call_through_parametrization,
    "functional_call_tied": _functional_call_tied("a"),
    "functional_call_tied_untied": _functional_call_tied("a", tie_weights=False),
    "functional_call_tied_both_same": _functional_call_tied("both same"),
    "functional_call_tied_both_different": _functional_call_tied("both different"),
    "functional_call_tied_both_different_untied": _functional_call_tied(
        "both different", tie_weights=False
    ),
    "functional_call_unknown_name": _functional_call_tied("b and unknown"),
    "fuse_conv2d_bn": _fuse_conv("Conv2d", "BatchNorm2d", (2, 2, 5, 5)),
    "fuse_conv1d_bn_no_bias": _fuse_conv("Conv1d", "BatchNorm1d", (2, 2, 6), bias=False),
    "fuse_conv2d_bn_not_affine": _fuse_conv("Conv2d", "BatchNorm2d", (1, 2, 4, 4), affine=False),
    "fuse_conv_transpose2d_bn": _fuse_conv("ConvTranspose2d", "BatchNorm2d", (1, 2, 3, 3)),
    "fuse_linear_bn": _fuse_linear(True),
    "fuse_linear_bn_no_bias": _fuse_linear(False),
    "fuse_linear_bn_one_feature": _fuse_linear(True, features=1),
    "fuse_weights_directly": _fuse_weights_directly,
    "fuse_training_refused": _fusion_errors("training"),
    "fuse_linear_training_refused": _fusion_errors("linear_training"),
    "fuse_linear_features_refused": _fusion_errors("features"),
    "fuse_without_running_stats": _fusion_errors("no_stats"),
    "skip_init": _skip_init,
    "skip_init_not_a_module": _skip_init_errors("not_module"),
    "skip_init_no_device": _skip_init_errors("no_device"),
    "total_norm_2": _total_norm(2.0),
    "total_norm_1": _total_norm(1),
    "total_norm_inf": _total_norm("inf"),
    "total_norm_0": _total_norm(0),
    "total_norm_3_5": _total_norm(3.5),
    "total_norm_float32": _total_norm(2.0, "float32"),
    "total_norm_nonfinite": _total_norm_nonfinite,
    "total_norm_empty": _total_norm_empty,
    "clip_grads_with_norm": _clip_with_norm,
    "clip_grad_norm_deprecated": _clip_grad_norm_deprecated,
    "clip_grad_norm_float32": _clip_float32,
    "clip_grad_norm_empty_generator": _clip_empty_generator,
    "vector_to_parameters_shares_memory": _vector_roundtrip,
    "vector_to_parameters_not_a_tensor": _vector_not_a_tensor,
}
for _shape, _map in [
    ((3, 3), None),
    ((3, 3), "cayley"),
    ((3, 3), "householder"),
    ((4, 2), None),
    ((2, 4), None),
    ((4, 2), "matrix_exp"),
    ((2, 4), "cayley"),
    ((2, 3, 3), None),
    ((2, 4, 3), "householder"),
]:
    for _trivial in (True, False):
        _name = f"orthogonal_{'x'.join(map(str, _shape))}_{_map}_trivial{_trivial}"
        CASES[_name] = _orthogonal(_shape, _map, _trivial)
for _when in ("first", "appended", "assigned"):
    for _what in ("dtype", "shape", "number", "pair_with_number", "short"):
        CASES[f"parametrize_right_inverse_{_when}_{_what}"] = _odd_right_inverse(f"{_when}:{_what}")
for _what in ("dtype", "shape"):  # unsafe lets the forward change the shape, not the dtype
    CASES[f"parametrize_right_inverse_first_unsafe_{_what}"] = _odd_right_inverse(
        f"first_unsafe:{_what}"
    )
for _shape, _map, _trivial in [
    ((3, 3), "matrix_exp", True),
    ((3, 3), "householder", False),
    ((4, 2), "householder", True),
    ((4, 2), "householder", False),
    ((2, 4), "cayley", True),
]:
    _name = f"orthogonal_assign_{'x'.join(map(str, _shape))}_{_map}_trivial{_trivial}"
    CASES[_name] = _orthogonal_assign(_shape, _map, _trivial)


@pytest.mark.parametrize("name", list(CASES))
def test_nn_utils_case_matches_pytorch(name: str) -> None:
    expected = _outcome(CASES[name], torch)
    ours = _outcome(CASES[name], cr)
    assert_same_result(ours, expected)


def test_parametrized_module_refuses_pickling_but_deep_copies() -> None:
    import copy
    import pickle

    m = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)
    twin = copy.deepcopy(m)
    assert type(twin).__name__ == "ParametrizedLinear"
    assert cr.equal(twin.weight, m.weight)


def test_nn_utils_names_are_the_submodules_objects() -> None:
    utils = cr.nn.utils
    assert isinstance(utils.parametrize, types.ModuleType)
    assert utils.weight_norm is utils.norm_hooks.weight_norm
    assert utils.fuse_conv_bn_eval is utils.fusion.fuse_conv_bn_eval
    assert utils.skip_init is utils.init.skip_init
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = utils.nothing


def _with_utility(lib: Any, which: str) -> Any:
    m = lib.nn.Linear(4, 4).double()
    if which == "orthogonal":
        lib.nn.utils.parametrizations.orthogonal(m)
    elif which == "spectral_norm":
        lib.nn.utils.parametrizations.spectral_norm(m)
    elif which == "weight_norm":
        lib.nn.utils.parametrizations.weight_norm(m)
    elif which == "old_spectral_norm":
        lib.nn.utils.spectral_norm(m)
    return m


@pytest.mark.parametrize(
    "which", ["orthogonal", "spectral_norm", "weight_norm", "old_spectral_norm"]
)
def test_pytorch_state_dict_of_a_parametrized_module_loads(which: str) -> None:
    """A parametrized module's state dict saved by PyTorch (other seeds: other values) loads
    into chainrule's by the same keys, and the loaded module computes PyTorch's outputs."""
    torch.manual_seed(1)
    theirs = _with_utility(torch, which)
    cr.manual_seed(2)
    ours = _with_utility(cr, which)
    ours.load_state_dict(theirs.state_dict())
    x = np.linspace(-1.0, 1.0, 8).reshape(2, 4)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        np.testing.assert_allclose(
            ours(cr.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            rtol=1e-10,
            atol=1e-12,
        )


def test_nn_utils_lists_what_pytorch_lists() -> None:
    """Every public name of ``torch.nn.utils`` is in ``chainrule.nn.utils``'s ``__all__`` and
    ``dir``, and resolves."""
    expected = set(torch.nn.utils.__all__)
    assert expected <= set(cr.nn.utils.__all__)
    assert expected <= set(dir(cr.nn.utils))
    for name in expected:
        assert getattr(cr.nn.utils, name) is not None
    for module in ("parametrize", "parametrizations", "stateless"):
        theirs = set(getattr(torch.nn.utils, module).__all__)
        assert theirs <= set(getattr(cr.nn.utils, module).__all__), module
